"""aggregate_clip (Shin et al. (2021) Eq. 10 over a clip) must stay bit-identical to its first
implementation.

``reference_aggregate_clip`` is a frozen copy of that implementation (three groups of frames
gathered with index tensors, each handed to ``aggregate_predictions``); the production version
warps with slices and one sampling grid per neighbour for speed, and must add the same terms in
the same order, so every output is compared with ``torch.equal``.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from uda_toolbox.pseudo_labels.temporal import aggregate_clip
from uda_toolbox.utils.warp import non_occluded_mask, warp


def aggregate_predictions(prob_i, neighbours, alpha: float = 4.0, th: float = 0.7):
    """Reference Eq. 10 for one frame: P^A_i = (P_i + sum_j I_{j=>i} W_{j=>i}(P_j)) /
    (1 + sum_j I_{j=>i}); ``neighbours`` are (prob_j, flow_i_to_j, frame_i, frame_j) tuples."""
    total = prob_i.clone()
    count = torch.ones_like(prob_i[:, :1])
    for prob_j, flow_i_to_j, frame_i, frame_j in neighbours:
        if prob_j.shape != prob_i.shape:
            raise ValueError(f'aggregate_predictions: neighbour prediction {tuple(prob_j.shape)} must '
                             f'match prob_i {tuple(prob_i.shape)}')
        warped, _ = warp(prob_j, flow_i_to_j, mode='bilinear')
        visible = non_occluded_mask(frame_i, frame_j, flow_i_to_j, alpha, th).to(prob_i.dtype)
        total = total + visible * warped
        count = count + visible
    return total / count


def reference_aggregate_clip(probs, frames, to_prev, to_next, alpha=4.0, th=0.7, chunk=16):
    """Frozen copy of ``aggregate_clip`` before the speed fix (do not edit)."""
    k = probs.shape[0]
    if k < 2:
        return probs.clone()
    device = probs.device
    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device).permute(0, 3, 1, 2).float() / 255.0
    to_prev, to_next = to_prev.to(device), to_next.to(device)
    out = torch.empty_like(probs)
    for start in range(0, k, chunk):
        idx = torch.arange(start, min(start + chunk, k), device=device)
        has_prev, has_next = idx >= 1, idx <= k - 2
        for group in (has_prev & has_next, has_prev & ~has_next, ~has_prev & has_next):
            i = idx[group]
            if len(i) == 0:
                continue
            neighbours = []
            if bool(has_prev[group].all()):
                neighbours.append((probs[i - 1], to_prev[i - 1], x[i], x[i - 1]))
            if bool(has_next[group].all()):
                neighbours.append((probs[i + 1], to_next[i], x[i], x[i + 1]))
            out[i] = aggregate_predictions(probs[i], neighbours, alpha=alpha, th=th)
    return out


def random_clip(gen, k, c, h, w, dtype=torch.float32):
    """A clip whose frames are one smooth scene moved by small shifts, plus a patch of new content
    per frame, so the occlusion test keeps some neighbour pixels and drops others; flows are the
    shifts with noise, and a few pixels jump far outside the frame."""
    base = F.interpolate(torch.rand(1, 3, h // 2 + 2, w // 2 + 2, generator=gen), size=(h + 8, w + 8),
                         mode='bilinear', align_corners=False)[0]
    frames, shifts = [], []
    for _ in range(k):
        dy, dx = (int(v) for v in torch.randint(0, 3, (2,), generator=gen))
        frame = base[:, dy:dy + h, dx:dx + w].clone()
        y0, x0 = int(torch.randint(0, h, (1,), generator=gen)), int(torch.randint(0, w, (1,), generator=gen))
        frame[:, y0:y0 + h // 3 + 1, x0:x0 + w // 3 + 1] = torch.rand(1, generator=gen)
        frames.append(frame)
        shifts.append((dx, dy))
    frames = (torch.stack(frames).permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()

    def flows(offset):
        out = []
        for i in range(max(k - 1, 0)):
            a, b = (i + offset, i) if offset else (i, i + 1)
            flow = torch.empty(2, h, w)
            flow[0] = shifts[b][0] - shifts[a][0]
            flow[1] = shifts[b][1] - shifts[a][1]
            flow += 0.3 * torch.randn(2, h, w, generator=gen)
            far = torch.rand(h, w, generator=gen) < 0.1
            flow[:, far] += torch.randn(2, int(far.sum()), generator=gen) * max(h, w)
            out.append(flow)
        return torch.stack(out) if out else torch.zeros(0, 2, h, w)

    probs = torch.randn(k, c, h, w, generator=gen).mul(3).softmax(dim=1).to(dtype)
    return probs, frames, flows(1), flows(0)


CASES = [(1, 5, 6, 7), (2, 4, 9, 11), (5, 15, 16, 20), (5, 3, 1, 8), (5, 15, 23, 17)]


@pytest.mark.parametrize('k,c,h,w', CASES)
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_aggregate_clip_is_bit_identical_to_the_reference(k, c, h, w, seed):
    gen = torch.Generator().manual_seed(seed * 100 + k)
    probs, frames, to_prev, to_next = random_clip(gen, k, c, h, w)
    expected = reference_aggregate_clip(probs, frames, to_prev, to_next)
    for chunk in (1, 2, 16):
        out = aggregate_clip(probs, frames, to_prev, to_next, chunk=chunk)
        assert out.dtype == probs.dtype and out.shape == probs.shape
        assert torch.equal(out, expected), f'chunk={chunk}'
    assert torch.equal(aggregate_clip(probs, frames, to_prev, to_next, alpha=1.0, th=0.5),
                       reference_aggregate_clip(probs, frames, to_prev, to_next, alpha=1.0, th=0.5))
    if k == 1:
        assert not aggregate_clip(probs, frames, to_prev, to_next).data_ptr() == probs.data_ptr()
    elif h > 1:  # (a one-row frame's vertical flow noise leaves it everywhere)
        # The clips exercise both branches of the occlusion test and of the bounds test.
        x = torch.from_numpy(frames).permute(0, 3, 1, 2)
        visible = non_occluded_mask(x[1:], x[:-1], to_prev)
        assert 0 < visible.float().mean() < 1
        assert not torch.equal(expected, probs)


def test_aggregate_clip_float64_is_bit_identical_to_the_reference():
    gen = torch.Generator().manual_seed(7)
    probs, frames, to_prev, to_next = random_clip(gen, 4, 6, 10, 12, dtype=torch.float64)
    out = aggregate_clip(probs, frames, to_prev, to_next)
    assert out.dtype == torch.float64
    assert torch.equal(out, reference_aggregate_clip(probs, frames, to_prev, to_next))
