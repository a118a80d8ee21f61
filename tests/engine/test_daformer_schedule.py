"""DAFormer's optimisation recipe in mmengine terms: the learning rate of every iteration is mmcv 1.x's
'poly' (power 1) with a linear warm-up over 1500 iterations from 1e-6, the decoder gets 10x, and
normalisation layers no weight decay."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS

from uda_toolbox.registry import MODELS


def mmcv_poly_with_warmup(k, base=6e-5, max_iters=40000, warmup=1500, ratio=1e-6):
    """mmcv 1.x PolyLrUpdaterHook(power=1.0, min_lr=0) with warmup='linear' (DAFormer's
    poly10warm.py): the regular lr, scaled by the linear warm-up factor for k < warmup."""
    regular = base * (1 - k / max_iters)
    if k >= warmup:
        return regular
    return regular * (1 - (1 - k / warmup) * (1 - ratio))


@pytest.fixture(scope='module')
def recipe(repo_root):
    cfg = Config.fromfile(str(repo_root / 'configs/_base_/schedules/viper2cityscapes_daformer.py'))
    tiny = Config.fromfile(str(repo_root / 'configs/daformer/synthetic.py'))
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(tiny.model))
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))['segmentor']
    return cfg, model, optim


def _encoder_lrs(cfg, model, optim, steps):
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=optim.optimizer))
                  for s in copy.deepcopy(cfg.param_scheduler['segmentor'])]
    weight = model.segmentor.backbone.layers[0][0].projection.weight
    group = next(g for g in optim.optimizer.param_groups if g['params'][0] is weight)
    lrs = []
    for _ in range(steps):
        lrs.append(group['lr'])
        for scheduler in schedulers:
            scheduler.step()
    return lrs


def test_warmup_then_poly_match_mmcv_on_the_real_schedule(recipe):
    cfg, model, optim = recipe
    lrs = _encoder_lrs(cfg, model, optim, 1502)
    for k in (0, 1, 2, 749, 1499, 1500, 1501):
        assert lrs[k] == pytest.approx(mmcv_poly_with_warmup(k), rel=1e-6, abs=1e-15), k


def test_every_iteration_of_the_embedded_schedule(repo_root, recipe):
    _, model, _ = recipe
    cfg = Config.fromfile(str(repo_root / 'configs/_base_/schedules/synthetic_daformer.py'))
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))['segmentor']
    length, warmup = cfg.max_iters, cfg.warmup_iters
    assert (length, warmup) == (160, 6)  # the embedded budget (docs/benchmarks.md)
    lrs = _encoder_lrs(cfg, model, optim, length)
    expected = [mmcv_poly_with_warmup(k, base=3e-4, max_iters=length, warmup=warmup)
                for k in range(length)]
    assert lrs == pytest.approx(expected, rel=1e-6, abs=1e-15)


def test_decoder_gets_10x_and_norms_no_weight_decay(recipe):
    _, model, optim = recipe
    # Only the student is optimised.
    optimised = {id(p) for g in optim.optimizer.param_groups for p in g['params']}
    assert optimised == {id(p) for p in model.segmentor.parameters()}
    groups = {id(g['params'][0]): g for g in optim.optimizer.param_groups}
    head = groups[id(model.segmentor.decode_head.conv_seg.weight)]
    conv = groups[id(model.segmentor.backbone.layers[0][0].projection.weight)]
    norm = groups[id(model.segmentor.backbone.layers[0][1][0].norm1.weight)]
    assert head['lr'] == pytest.approx(10 * conv['lr'])
    assert conv['weight_decay'] == 0.01 and norm['weight_decay'] == 0.0
