"""The two-frame flow-fusion segmentor of DA-VSN / TPS on the tiny DeepLabv2-style model."""
import copy

import pytest
import torch
from mmengine.config import Config

from uda_toolbox.registry import MODELS
from uda_toolbox.utils.warp import forward_splat_nearest, resize_flow, warp


@pytest.fixture(scope='module')
def tiny_segmentor_cfg(repo_root):
    cfg = Config.fromfile(str(repo_root / 'configs/_base_/models/tiny_deeplabv2.py'))
    segmentor = copy.deepcopy(cfg.segmentor.to_dict())
    segmentor['auxiliary_head'] = dict(segmentor['decode_head'], in_channels=48, in_index=0)
    return segmentor


def build(segmentor_cfg, **options):
    torch.manual_seed(0)
    return MODELS.build(dict(type='TwoFrameSegmentor', segmentor=segmentor_cfg, **options))


def test_fusion_starts_as_identity_so_fused_equals_current(tiny_segmentor_cfg):
    model = build(tiny_segmentor_cfg, warp='bilinear').eval()
    c = model.num_classes
    assert model.fusion.weight.shape == (c, 2 * c, 1, 1) and model.fusion.bias is None
    assert torch.equal(model.fusion.weight[:, :c, 0, 0], torch.eye(c))
    assert not model.fusion.weight[:, c:].any()
    model.init_weights()  # the identity start survives the model's init
    assert torch.equal(model.fusion.weight[:, :c, 0, 0], torch.eye(c))
    frames = torch.randn(2, 3, 32, 64)
    out = model.forward_pair(frames, torch.randn(2, 3, 32, 64), torch.randn(2, 2, 32, 64) * 3)
    for level in ('main', 'aux'):  # one fusion for both levels
        assert out['fused'][level].shape == (2, c, 8, 16)
        assert torch.allclose(out['fused'][level], out['current'][level], atol=1e-6)


@pytest.mark.parametrize('warp_name', ['bilinear', 'splat', None])
def test_fused_output_is_the_fusion_of_current_and_warped_previous(tiny_segmentor_cfg, warp_name):
    model = build(tiny_segmentor_cfg, warp=warp_name).eval()
    with torch.no_grad():
        model.fusion.weight.normal_()
    current, previous = torch.randn(1, 3, 32, 64), torch.randn(1, 3, 32, 64)
    flow = torch.randn(1, 2, 32, 64) * 4  # at the frame size: resized to the 8x16 logit grid
    out = model.forward_pair(current, previous, flow)
    prev_main = model.level_logits(previous)['main']
    assert torch.allclose(out['previous']['main'], prev_main, atol=1e-5)  # returned unwarped
    grid_flow = resize_flow(flow, (8, 16))  # x 8/32 on both components
    assert torch.allclose(grid_flow, torch.nn.functional.interpolate(
        flow, (8, 16), mode='bilinear', align_corners=True) * 0.25)
    if warp_name == 'bilinear':
        warped = warp(prev_main, grid_flow)[0]
    elif warp_name == 'splat':
        warped = forward_splat_nearest(prev_main, grid_flow)[0]
    else:
        warped = prev_main
    expected = torch.nn.functional.conv2d(torch.cat([out['current']['main'], warped], 1),
                                          model.fusion.weight)
    assert torch.allclose(out['fused']['main'], expected, atol=1e-5)


def test_gradients_reach_frame_t_and_the_fusion_only(tiny_segmentor_cfg):
    model = build(tiny_segmentor_cfg).train()
    current = torch.randn(2, 3, 32, 64, requires_grad=True)
    previous = torch.randn(2, 3, 32, 64, requires_grad=True)
    out = model.forward_pair(current, previous, torch.zeros(2, 2, 16, 32))
    assert not out['previous']['main'].requires_grad
    (out['fused']['main'].sum() + out['fused']['aux'].sum()).backward()
    assert current.grad is not None and previous.grad is None
    assert model.fusion.weight.grad is not None
    # fuse=False skips the fusion (DA-VSN's target branch)
    assert 'fused' not in model.forward_pair(current, previous, torch.zeros(2, 2, 16, 32), fuse=False)


@pytest.mark.parametrize('bn_mode, training', [('batch_stats', True), ('frozen', False)])
def test_bn_mode(tiny_segmentor_cfg, bn_mode, training):
    model = build(tiny_segmentor_cfg, bn_mode=bn_mode).train()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(bn.training == training for bn in bns)
    before = bns[0].running_mean.clone()
    model.forward_pair(torch.randn(1, 3, 32, 64), torch.randn(1, 3, 32, 64), torch.zeros(1, 2, 8, 8))
    # batch statistics update the running ones (also in the no-grad t-1 pass); frozen never
    assert torch.equal(bns[0].running_mean, before) != training
    assert model.eval() and not any(bn.training for bn in bns)


def test_predict_takes_the_previous_frame_and_flow(tiny_segmentor_cfg):
    model = build(tiny_segmentor_cfg, warp='bilinear').eval()
    with torch.no_grad():
        model.fusion.weight.normal_()
    frames, previous = torch.randn(2, 3, 32, 64), torch.randn(2, 1, 3, 32, 64)
    flows = torch.randn(2, 1, 2, 32, 64)
    with torch.no_grad():
        samples = model.predict(frames, None, previous=previous, flows=flows)
        fused = model.forward_pair(frames, previous[:, 0], flows[:, 0])['fused']['main']
    expected = torch.nn.functional.interpolate(fused, (32, 64), mode='bilinear').argmax(1)
    assert torch.equal(samples[1].pred_sem_seg.data[0], expected[1])
    with pytest.raises(ValueError, match='num_frames=2'):
        model.predict(frames, None)
    with pytest.raises(NotImplementedError, match='adaptor'):
        model.loss(frames, [])


def test_wrapped_segmentor_is_reachable_for_single_frame_code(tiny_segmentor_cfg):
    model = build(tiny_segmentor_cfg)
    assert model.decode_head is model.segmentor.decode_head
    assert model.with_auxiliary_head and model.align_corners is False
    assert model.num_classes == 15
    with pytest.raises(ValueError, match='warp'):
        build(tiny_segmentor_cfg, warp='nearest')
    with pytest.raises(ValueError, match='bn_mode'):
        build(tiny_segmentor_cfg, bn_mode='eval')
