import numpy as np
import pytest
import torch

from uda_toolbox.pseudo_labels.temporal import aggregate_clip, consensus_cutout, consensus_fillin

IG = 255  # ignore


def _two_class(p0):
    """(1, 2, 1, W) probabilities with class 0 = p0."""
    p0 = torch.tensor(p0, dtype=torch.float32).view(1, 1, 1, -1)
    return torch.cat([p0, 1 - p0], dim=1)


def _shift_flow(dx, h, w):
    flow = torch.zeros(1, 2, h, w)
    flow[:, 0] = dx
    return flow


def test_aggregate_averages_visible_neighbours_eq10():
    # A 3-frame clip (a, i, b), zero flow: frame i averages itself with a and with b where they
    # are not occluded; pixel 1 of b differs from i (occluded there) and is left out.
    probs = torch.cat([_two_class([0.4, 0.2, 0.9]), _two_class([0.8, 0.6, 0.3]),
                       _two_class([0.6, 1.0, 0.0])])
    frames = np.zeros((3, 1, 3, 3), np.uint8)
    frames[2, 0, 1] = 255
    zero = torch.zeros(2, 2, 1, 3)
    out = aggregate_clip(probs, frames, zero, zero, alpha=4.0, th=0.7)
    # (0.8 + 0.4 + 0.6) / 3, (0.6 + 0.2) / 2, (0.3 + 0.9 + 0.0) / 3
    assert torch.allclose(out[1, 0, 0], torch.tensor([0.6, 0.4, 0.4]), atol=1e-6)
    assert torch.allclose(out.sum(dim=1), torch.ones(3, 1, 3))
    assert torch.equal(aggregate_clip(probs[:1], frames[:1], zero[:0], zero[:0]), probs[:1])


def test_aggregate_warps_the_neighbour_with_the_flow():
    # The scene moves one pixel right from i to j: j's pixel x + 1 shows i's pixel x.
    prob_i = _two_class([0.9, 0.1, 0.7, 0.2])
    q = [0.5, 0.3, 0.9, 0.6]                       # j's prediction of i's pixels 0..3
    prob_j = _two_class([0.0] + q[:3])             # column 0 of j is new content
    texture = np.array([25, 230, 102, 153], np.uint8)
    frames = np.stack([np.r_[76, texture[:3]], texture]).astype(np.uint8)  # (j, i) in time order
    frames = np.repeat(frames[:, None, :, None], 3, axis=3)  # (2, 1, 4, 3)
    to_prev = _shift_flow(1, 1, 4)  # flow from frame i to frame j
    out = aggregate_clip(torch.cat([prob_j, prob_i]), frames, to_prev, torch.zeros(1, 2, 1, 4))
    # Pixels 0..2: (P_i + q) / 2; pixel 3 maps outside frame j, so it keeps P_i.
    assert torch.allclose(out[1, 0, 0], torch.tensor([0.7, 0.2, 0.8, 0.2]), atol=1e-6)


def test_consensus_cutout_eq12():
    label_t = torch.tensor([[[0, 1, 1, 2], [3, 3, 0, 0]]])
    label_ref = torch.tensor([[[9, 0, 1, 5], [3, 3, IG, 0]]])
    out = consensus_cutout(label_t, label_ref, _shift_flow(1, 2, 4))
    # Warped reference: [[0, 1, 5, out], [3, IG, 0, out]]; keep only where it agrees.
    assert out.tolist() == [[[0, 1, IG, IG], [3, IG, 0, IG]]]
    assert out.dtype == label_t.dtype
    kept = consensus_cutout(label_t, label_ref, _shift_flow(1, 2, 4), keep_out_of_bounds=True)
    assert kept.tolist() == [[[0, 1, IG, 2], [3, IG, 0, 0]]]  # the last column has no reference

    same = consensus_cutout(label_t.to(torch.uint8), label_t.to(torch.uint8), torch.zeros(1, 2, 2, 4))
    assert same.dtype == torch.uint8 and torch.equal(same, label_t.to(torch.uint8))


def test_consensus_fillin_eq14():
    label_t = torch.tensor([[[0, IG, IG, IG], [IG, 2, IG, 1]]])
    label_ref = torch.tensor([[[7, 4, 4, 5], [6, 6, 3, IG]]])
    frame_t = torch.zeros(1, 3, 2, 4)
    frame_ref = torch.zeros(1, 3, 2, 4)
    frame_ref[:, :, 1, 1] = 1.0  # t's pixel (1, 0) maps onto it: occluded
    out = consensus_fillin(label_t, label_ref, _shift_flow(1, 2, 4), frame_t, frame_ref)
    # Warped reference: [[4, 4, 5, out], [6*, 3, IG, out]] (* occluded). Labelled pixels keep
    # their label; unlabelled, visible, in-bounds pixels take the warped reference label.
    assert out.tolist() == [[[0, 4, 5, IG], [IG, 2, IG, 1]]]


def test_label_shapes_are_checked():
    with pytest.raises(ValueError, match='same shape'):
        consensus_cutout(torch.zeros(1, 2, 4, dtype=torch.long), torch.zeros(1, 2, 3, dtype=torch.long),
                         torch.zeros(1, 2, 2, 4))
