"""Every adaptor runs on DeepLabv2 and on MiT / SegFormer by changing its config's model ``_base_`` only.

Each method's embedded config is copied with ``_base_/models/tiny_deeplabv2.py`` (or the tiny
DAFormer model) replaced by ``_base_/models/tiny_mit.py`` and the reverse (configs that inherit
another method's config are swapped along the chain); nothing else changes. The adaptor is built
and trains one step; discriminators and the multi-level classifier take their channel counts from
the model.
"""
import copy
from pathlib import Path

import pytest
import torch
from conftest import make_clip_batch, swap_model_base
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from uda_toolbox.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO / 'configs/_base_/models'
MODEL_BASES = {'deeplabv2': MODELS_DIR / 'tiny_deeplabv2.py', 'mit': MODELS_DIR / 'tiny_mit.py'}
METHODS = [
    'source_only/synthetic.py', 'oracle/synthetic.py', 'adabn/synthetic.py',
    'adaptsegnet/synthetic.py', 'adaptsegnet/synthetic_multi_level.py', 'advent/synthetic.py',
    'minent/synthetic.py', 'vat/synthetic.py', 'cbst/synthetic.py', 'crst/synthetic.py',
    'iast/synthetic.py', 'vst/synthetic.py', 'dacs/synthetic.py', 'daformer/synthetic.py',
    'mic/synthetic.py',
]
def _batch(seed):
    """A UDA batch whose target carries labels (pseudo labels of the self-training methods) and
    zero flow (VST's refinement)."""
    source = make_clip_batch(seed=seed)
    target = make_clip_batch(seed=seed + 100, shift=-30)
    target['flows'] = [torch.zeros(1, 2, 32, 64) for _ in target['inputs']]
    return dict(source=source, target=target)


@pytest.mark.parametrize('backbone', sorted(MODEL_BASES))
@pytest.mark.parametrize('method', METHODS)
def test_adaptor_trains_on_both_model_bases(method, backbone, tmp_path):
    config = swap_model_base(REPO / 'configs' / method, MODEL_BASES[backbone], tmp_path)
    cfg = Config.fromfile(str(config))
    expected = 'MixVisionTransformer' if backbone == 'mit' else 'TinyConvNet'
    assert cfg.model.segmentor.backbone.type == expected
    original = Config.fromfile(str(REPO / 'configs' / method))
    assert cfg.model.type == original.model.type  # the method is untouched
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    before = {k: v.clone() for k, v in model.segmentor.state_dict().items()}
    model.train()
    log = model.train_step(_batch(0), optim)
    assert all(torch.isfinite(torch.as_tensor(v)).all() for v in log.values()), log
    changed = [k for k, v in model.segmentor.state_dict().items() if not torch.equal(v, before[k])]
    assert changed, 'the step changed nothing'
    if method == 'adabn/synthetic.py':  # statistics only: the weights stay
        assert all('running_' in k or 'num_batches' in k for k in changed)
    if 'multi_level' in method:
        aux = model.segmentor.auxiliary_head
        stage = 80 if backbone == 'mit' else 48  # MiT stage 3 / TinyConvNet layer 3
        assert aux.in_channels == stage and 'loss_seg_src_aux' in log
    if hasattr(model, 'discriminator'):
        for disc in model.discriminator.values():
            assert disc.first.in_channels == model.num_classes
