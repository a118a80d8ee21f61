import glob
import warnings

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from uda_toolbox.registry import DATASETS, METRICS, MODELS, PSEUDO_LABEL_FILTERS, TRANSFORMS


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
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            model = MODELS.build(cfg.model)
        assert type(model).__name__ == cfg.model.type, path
        if 'deeplabv2_r50' in str(cfg.filename) or 'viper2cityscapes' in path:
            # No ImageNet file on this machine: a clear warning, not a crash.
            assert any('RANDOM weights' in str(w.message) for w in caught), path
