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
    'mic/synthetic.py', 'da_vsn/synthetic.py', 'tps/synthetic.py', 'da_stc/synthetic.py',
]


def _batch(seed, target_frames=2, h=32, w=64):
    """A UDA batch whose target carries labels (pseudo labels of the self-training methods) and
    zero flow (VST's refinement, the two-frame segmentor's warp); TPS reads 3-frame targets."""
    source = make_clip_batch(seed=seed, h=h, w=w)
    target = make_clip_batch(seed=seed + 100, t=target_frames, h=h, w=w, shift=-30)
    for clips in (source, target):
        pairs = clips['inputs'][0].shape[0] - 1
        clips['flows'] = [torch.zeros(pairs, 2, h, w) for _ in clips['inputs']]
        clips['flows_fw'] = [torch.zeros(pairs, 2, h, w) for _ in clips['inputs']]
    return dict(source=source, target=target)


@pytest.mark.parametrize('backbone', sorted(MODEL_BASES))
@pytest.mark.parametrize('method', METHODS)
def test_adaptor_trains_on_both_model_bases(method, backbone, tmp_path):
    config = swap_model_base(REPO / 'configs' / method, MODEL_BASES[backbone], tmp_path)
    cfg = Config.fromfile(str(config))
    expected = 'MixVisionTransformer' if backbone == 'mit' else 'TinyConvNet'
    segmentor_cfg = cfg.model.segmentor
    if segmentor_cfg.type == 'TwoFrameSegmentor':  # DA-VSN, TPS: the per-frame model inside
        segmentor_cfg = segmentor_cfg.segmentor
    assert segmentor_cfg.backbone.type == expected
    original = Config.fromfile(str(REPO / 'configs' / method))
    assert cfg.model.type == original.model.type  # the method is untouched
    if method.startswith('da_stc'):  # its long-tail bank reads the embedded data (as test_da_stc.py)
        cfg.model.long_tail_bank = None
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    before = {k: v.clone() for k, v in model.segmentor.state_dict().items()}
    model.train()
    if method.startswith(('tps', 'da_stc')):  # 3-frame targets; frames >= MiT's strides when scaled
        batch = _batch(0, target_frames=3, h=64, w=128)
    else:
        batch = _batch(0)
    log = model.train_step(batch, optim)
    if method.startswith('da_stc'):  # its first iteration only fills the memory (as coded)
        assert log == {}
        log = model.train_step(batch, optim)
    assert all(torch.isfinite(torch.as_tensor(v)).all() for v in log.values()), log
    changed = [k for k, v in model.segmentor.state_dict().items() if not torch.equal(v, before[k])]
    assert changed, 'the step changed nothing'
    if method == 'adabn/synthetic.py':  # statistics only: the weights stay
        assert all('running_' in k or 'num_batches' in k for k in changed)
    if 'multi_level' in method or method.startswith(('da_vsn', 'tps')):
        aux = getattr(model.segmentor, 'segmentor', model.segmentor).auxiliary_head
        stage = 80 if backbone == 'mit' else 48  # MiT stage 3 / TinyConvNet layer 3
        assert aux.in_channels == stage and 'loss_seg_src_aux' in log
    if hasattr(model, 'discriminator'):
        for disc in model.discriminator.values():
            # DA-VSN's spatio-temporal discriminators see two frames' scores
            assert disc.first.in_channels in (model.num_classes, 2 * model.num_classes)
