import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from uda_toolbox.registry import DATASETS, METRICS, MODELS, PSEUDO_LABEL_FILTERS, TRANSFORMS
from uda_toolbox.utils.checkpoint import CheckpointError


def test_default_scope_is_ours():
    assert DefaultScope.get_current_instance().scope_name == 'uda_toolbox'
    assert MODELS.scope == 'uda_toolbox' and MODELS.parent.scope == 'mmseg'


@pytest.mark.parametrize('registry,name', [
    (MODELS, 'SourceOnly'), (MODELS, 'Oracle'), (MODELS, 'DeepLabV2Head'),
    (MODELS, 'TinyConvNet'), (MODELS, 'ClipSegDataPreProcessor'),
    (DATASETS, 'ClipDataset'), (DATASETS, 'UDADataset'), (TRANSFORMS, 'PackClipInputs'),
    (METRICS, 'ClipSegMetric'), (MODELS, 'DACS'), (MODELS, 'DAFormer'),
    (MODELS, 'DAFormerHead'), (PSEUDO_LABEL_FILTERS, 'ConfidenceWeight'),
    (PSEUDO_LABEL_FILTERS, 'BorderWeight'),
])
def test_our_modules_are_registered(registry, name):
    assert registry.get(name) is not None
    assert name in registry.module_dict


def test_mmseg_modules_are_found_through_the_parent():
    assert MODELS.get('EncoderDecoder').__module__.startswith('mmseg')
    assert MODELS.get('mmseg.ResNet').__name__ == 'ResNet'


def test_unknown_type_names_the_registry():
    with pytest.raises(KeyError, match='not in the .*registry'):
        MODELS.build(dict(type='NoSuchAdaptor'))


def test_every_config_parses_and_its_model_builds(repo_root):
    configs = sorted(glob.glob(str(repo_root / 'configs' / '*' / '*.py')))
    configs = [c for c in configs if '/_base_/' not in c and '/benchmarks/' not in c]
    assert len(configs) >= 4
    for path in configs:
        cfg = Config.fromfile(path)
        assert cfg.default_scope == 'uda_toolbox', path
        if not osp.basename(path).startswith('synthetic'):  # real-data configs
            # No ImageNet file on this machine: an error with the fixes, not random weights ...
            with pytest.raises(CheckpointError, match=r'init_cfg=None'):
                MODELS.build(cfg.model)
            # ... unless random initialisation is asked for explicitly.
            inner = 'model.segmentor.segmentor' if 'segmentor' in cfg.model.segmentor \
                else 'model.segmentor'  # a wrapper (TwoFrameSegmentor) holds the segmentor
            cfg.merge_from_dict({f'{inner}.backbone.init_cfg': None})
        model = MODELS.build(cfg.model)
        assert type(model).__name__ == cfg.model.type, path


@pytest.mark.parametrize('name', ['LOOPS', 'DATA_SAMPLERS', 'MODEL_WRAPPERS'])
def test_mmengine_only_registries_have_a_node_for_our_scope(name):
    """The runner builds mmengine's loops, samplers and wrappers under the 'uda_toolbox' scope;
    without a node of that scope in their trees mmengine warns on every run."""
    import mmengine.registry

    import uda_toolbox.registry as ours

    with mmengine.registry.DefaultScope.overwrite_default_scope('uda_toolbox'):
        with getattr(mmengine.registry, name).switch_scope_and_registry(None) as registry:
            assert registry is getattr(ours, name)
