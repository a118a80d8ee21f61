import math

import pytest
import torch

from uda_toolbox.utils.warp import non_occluded_mask, photometric_consistency, warp


def _const_flow(dx: float, dy: float, n: int, h: int, w: int) -> torch.Tensor:
    flow = torch.zeros(n, 2, h, w)
    flow[:, 0], flow[:, 1] = dx, dy
    return flow


@pytest.mark.parametrize('mode', ['nearest', 'bilinear'])
def test_integer_shift_moves_labels_exactly(mode):
    labels = torch.tensor([[[[0, 1, 2, 3, 4],
                             [5, 6, 7, 8, 9],
                             [10, 11, 12, 13, 255]]]])  # (1, 1, 3, 5) long
    warped, in_bounds = warp(labels, _const_flow(1, -1, 1, 3, 5), mode=mode)
    assert warped.dtype == torch.int64
    # out[y, x] = src[y - 1, x + 1]: row 0 and column 4 sample outside the frame.
    expected_inside = torch.tensor([[1, 2, 3, 4], [6, 7, 8, 9]])
    assert torch.equal(warped[0, 0, 1:, :4], expected_inside)
    expected_mask = torch.tensor([[False] * 5, [True] * 4 + [False], [True] * 4 + [False]])
    assert torch.equal(in_bounds[0, 0], expected_mask)


def test_bilinear_half_pixel_and_per_sample_flow():
    x = torch.tensor([[[[0., 10., 20., 30.]]], [[[1., 2., 3., 4.]]]])  # (2, 1, 1, 4)
    flow = torch.zeros(2, 2, 1, 4)
    flow[0, 0] = 0.5   # sample 0: halfway to the right neighbour
    flow[1, 0] = -2.0  # sample 1: two pixels to the left
    warped, in_bounds = warp(x, flow)
    assert torch.allclose(warped[0, 0, 0, :3], torch.tensor([5., 15., 25.]))
    assert in_bounds[0, 0, 0].tolist() == [True, True, True, False]
    assert torch.allclose(warped[1, 0, 0, 2:], torch.tensor([1., 2.]))
    assert in_bounds[1, 0, 0].tolist() == [False, False, True, True]


def test_zero_flow_is_identity_and_shapes_are_checked():
    x = torch.rand(2, 3, 4, 6)
    warped, in_bounds = warp(x, torch.zeros(2, 2, 4, 6))
    assert torch.allclose(warped, x, atol=1e-6) and bool(in_bounds.all())
    with pytest.raises(ValueError, match='share'):
        warp(x, torch.zeros(2, 2, 4, 5))
    with pytest.raises(ValueError, match='mode'):
        warp(x, torch.zeros(2, 2, 4, 6), mode='bicubic')


def test_photometric_consistency_values():
    frame_i = torch.zeros(1, 3, 1, 2)
    warped = torch.zeros(1, 3, 1, 2)
    warped[0, :, 0, 1] = torch.tensor([0.3, 0.4, 0.0])  # L2 distance 0.5
    o = photometric_consistency(frame_i, warped, alpha=2.0)
    assert o.shape == (1, 1, 1, 2)
    assert o[0, 0, 0, 0].item() == pytest.approx(1.0)
    assert o[0, 0, 0, 1].item() == pytest.approx(math.exp(-1.0), rel=1e-5)
    # uint8 frames are read as [0, 1]: 255 vs 0 on every channel is a distance of sqrt(3).
    o8 = photometric_consistency(torch.zeros(1, 3, 1, 1, dtype=torch.uint8),
                                 torch.full((1, 3, 1, 1), 255, dtype=torch.uint8), alpha=1.0)
    assert o8.item() == pytest.approx(math.exp(-math.sqrt(3)), rel=1e-5)


def _texture(h: int, w: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.rand(1, 3, h, w, generator=g)


def test_non_occluded_mask_static_scene_and_appearing_content():
    frame = _texture(6, 8)
    flow = torch.zeros(1, 2, 6, 8)
    assert bool(non_occluded_mask(frame, frame.clone(), flow).all())  # static scene: all 1

    # A white object appears in frame j: no pixel of frame i corresponds to it.
    frame_j = frame.clone()
    frame_j[:, :, 2:4, 3:6] = 1.0
    frame[:, :, 2:4, 3:6] = 0.0
    mask = non_occluded_mask(frame, frame_j, flow)[0, 0]
    expected = torch.ones(6, 8, dtype=torch.bool)
    expected[2:4, 3:6] = False
    assert torch.equal(mask, expected)


def test_non_occluded_mask_follows_motion():
    # The scene moves one pixel right from i to j; new content enters j at column 0.
    frame_i = _texture(5, 7)
    frame_j = torch.roll(frame_i, shifts=1, dims=3)
    frame_j[:, :, :, 0] = 0.5
    flow = _const_flow(1, 0, 1, 5, 7)
    mask = non_occluded_mask(frame_i, frame_j, flow)[0, 0]
    assert bool(mask[:, :6].all())          # every point still visible is kept
    assert not bool(mask[:, 6].any())       # its last column left the frame
    # Without the flow, the texture does not match.
    assert non_occluded_mask(frame_i, frame_j, torch.zeros(1, 2, 5, 7)).float().mean() < 0.5
