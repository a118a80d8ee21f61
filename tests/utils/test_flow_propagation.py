"""The warps of the two-frame methods (DA-VSN, TPS) against transcriptions of the original kernels."""
import math

import numpy as np
import pytest
import torch

from uda_toolbox.utils.warp import forward_splat_nearest, propagate, resize_flow, warp


def resample2d_bilinear_reference(x: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """A numpy transcription of flownet2's ``Resample2d(bilinear=True)`` forward kernel (TPS).

    Per output pixel (x, y): sample at (x + dx, y + dy); the four corner indices floor and
    floor + 1 are each clamped to the frame, the weights come from the unclamped fractions.
    """
    n, c, h, w = x.shape
    out = np.zeros_like(x, dtype=np.float64)
    for b in range(n):
        for y in range(h):
            for xx in range(w):
                xf = xx + flow[b, 0, y, xx]
                yf = y + flow[b, 1, y, xx]
                alpha, beta = xf - math.floor(xf), yf - math.floor(yf)
                x_l = min(max(int(math.floor(xf)), 0), w - 1)
                y_t = min(max(int(math.floor(yf)), 0), h - 1)
                x_r = min(max(int(math.floor(xf)) + 1, 0), w - 1)
                y_b = min(max(int(math.floor(yf)) + 1, 0), h - 1)
                out[b, :, y, xx] = ((1 - alpha) * (1 - beta) * x[b, :, y_t, x_l]
                                    + alpha * (1 - beta) * x[b, :, y_t, x_r]
                                    + (1 - alpha) * beta * x[b, :, y_b, x_l]
                                    + alpha * beta * x[b, :, y_b, x_r])
    return out


def splat_loop_reference(x: np.ndarray, flow: np.ndarray):
    """DA-VSN's double loop (x outer, y inner, last write wins), one sample at a time."""
    n, c, h, w = x.shape
    out, mask = np.zeros_like(x), np.zeros((n, 1, h, w), bool)
    for b in range(n):
        for xx in range(w):
            for y in range(h):
                tx = int(round(xx - float(flow[b, 0, y, xx])))
                ty = int(round(y - float(flow[b, 1, y, xx])))
                if 0 <= tx < w and 0 <= ty < h:
                    out[b, :, ty, tx] = x[b, :, y, xx]
                    mask[b, 0, ty, tx] = True
    return out, mask


def test_backward_warp_matches_resample2d_kernel_with_far_out_of_frame_blocks():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 5, 13, 21, generator=g)
    flow = torch.randn(2, 2, 13, 21, generator=g) * 6
    flow[0, :, :3, :4] += 1000.0  # pushed far out of the frame: border clamping
    flow[1, 0, 5:, 10:] -= 1000.0
    ours, _ = warp(x, flow, mode='bilinear')
    reference = resample2d_bilinear_reference(x.double().numpy(), flow.double().numpy())
    assert np.abs(ours.numpy() - reference).max() < 1e-4
    # propagate('bilinear') is the same warp with an all-True mask (TPS has none).
    values, mask = propagate(x, flow, 'bilinear')
    assert torch.equal(values, ours) and bool(mask.all())


def test_vectorised_splat_equals_the_loop_including_collisions_and_holes():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 17, 23, generator=g)
    flow = torch.randn(2, 2, 17, 23, generator=g) * 3
    flow[0, :, 4, 4:8] = torch.tensor([[-1.0], [0.0]])  # several sources, one target: last wins
    flow[1, :, :, 2] = 0.5  # exact .5 ties: rounded half to even in both
    ours, mask = forward_splat_nearest(x, flow)
    ref, ref_mask = splat_loop_reference(x.numpy(), flow.numpy())
    assert np.array_equal(mask.numpy(), ref_mask)
    assert np.array_equal(ours.numpy(), ref)
    assert 0 < (~mask).sum() < mask.numel()  # the case has holes and writes
    assert float(ours.masked_select(~mask.expand_as(ours)).abs().sum()) == 0.0


def test_splat_of_a_constant_flow_moves_by_minus_the_flow():
    x = torch.arange(12.).view(1, 1, 3, 4)
    flow = torch.zeros(1, 2, 3, 4)
    flow[:, 0] = 1.0  # t-1 pixel x goes to x - 1 on frame t
    out, mask = forward_splat_nearest(x, flow)
    assert torch.equal(out[0, 0, :, :3], x[0, 0, :, 1:])
    assert mask[0, 0, :, :3].all() and not mask[0, 0, :, 3].any()


def test_propagate_none_keeps_the_previous_values():
    x = torch.rand(1, 2, 3, 4)
    out, mask = propagate(x, torch.randn(1, 2, 3, 4), None)
    assert torch.equal(out, x) and bool(mask.all())
    with pytest.raises(ValueError, match='propagation method'):
        propagate(x, torch.zeros(1, 2, 3, 4), 'nearest')


def test_resize_flow_scales_by_the_height_ratio_as_the_originals():
    flow = torch.zeros(1, 2, 8, 16)
    flow[:, 0], flow[:, 1] = 4.0, -2.0
    # 8x16 -> 3x7: height ratio 3/8, width ratio 7/16.
    ours = resize_flow(flow, (3, 7))
    assert torch.allclose(ours[:, 0], torch.full((1, 3, 7), 4.0 * 3 / 8))
    assert torch.allclose(ours[:, 1], torch.full((1, 3, 7), -2.0 * 3 / 8))
    per_axis = resize_flow(flow, (3, 7), scaling='per_axis')
    assert torch.allclose(per_axis[:, 0], torch.full((1, 3, 7), 4.0 * 7 / 16))
    # align_corners=True: the corner values are kept exactly.
    ramp = torch.arange(5.).view(1, 1, 1, 5).expand(1, 2, 2, 5).contiguous()
    resized = resize_flow(ramp, (2, 9))
    assert torch.allclose(resized[0, 0, 0], torch.linspace(0, 4, 9))
    with pytest.raises(ValueError, match='scaling'):
        resize_flow(flow, (3, 7), scaling='width')
