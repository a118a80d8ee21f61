"""Temporal pseudo-label operations of Shin et al. (2021) (VST), tensor functions.

* :func:`aggregate_clip` - Eq. 10, temporally aggregated predictions of every frame of a clip
  (with :func:`clip_flows`, the flows between its neighbouring frames); what the rounds run.
* :func:`consensus_cutout` - Eq. 12, online refinement by temporal consensus (the paper's VST).
* :func:`consensus_fillin` - Eq. 14 (Appendix B, Table 6), the fill-in baseline.

Flow convention (docs/data.md): ``flow_i_to_j`` at pixel p of frame i points to p + flow(p) in
frame j, so ``warp(x_j, flow_i_to_j)`` brings frame j's values onto frame i.
"""
from typing import Callable, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from uda_toolbox.utils.warp import (
    DEFAULT_CONSISTENCY_ALPHA,
    DEFAULT_CONSISTENCY_THRESHOLD,
    non_occluded_mask,
    photometric_consistency,
    sample,
    sampling_grid,
    warp,
)


def clip_flows(records: Sequence[dict], frames: np.ndarray,
               flow_fn: Callable[[dict, dict, np.ndarray, np.ndarray], np.ndarray]
               ) -> Tuple[Tensor, Tensor]:
    """Flows between neighbouring frames of a clip, from ``flow_fn(record_a, record_b, frame_a,
    frame_b)`` (see ``predict.FlowFn``).

    Returns:
        (to_prev, to_next), each float (K-1, 2, H, W): ``to_prev[i - 1]`` is the flow from frame
        i to frame i - 1 (i >= 1), ``to_next[i]`` the flow from frame i to frame i + 1 (i < K-1).
    """
    def one(a: int, b: int) -> Tensor:
        flow = np.asarray(flow_fn(records[a], records[b], frames[a], frames[b]), np.float32)
        if flow.shape != frames.shape[1:3] + (2,):
            raise ValueError(f'flow from {records[a]["img_path"]!r} to {records[b]["img_path"]!r} '
                             f'is {flow.shape}, expected {frames.shape[1:3] + (2,)}.')
        return torch.from_numpy(flow).permute(2, 0, 1)

    k = len(records)
    to_prev = [one(i, i - 1) for i in range(1, k)]
    to_next = [one(i, i + 1) for i in range(k - 1)]
    empty = torch.zeros((0, 2) + frames.shape[1:3])
    return (torch.stack(to_prev) if to_prev else empty, torch.stack(to_next) if to_next else empty)


def aggregate_clip(probs: Tensor, frames: np.ndarray, to_prev: Tensor, to_next: Tensor,
                   alpha: float = DEFAULT_CONSISTENCY_ALPHA,
                   th: float = DEFAULT_CONSISTENCY_THRESHOLD, chunk: int = 16) -> Tensor:
    """Temporally aggregated predictions of every frame of a clip (Shin et al. (2021) Eq. 10).

    Frame i averages its own prediction with those of frames i - 1 and i + 1 warped onto it,
    each where its occlusion score exp(-alpha * ||x_i - W(x_j)||_2) > th (frames scaled to
    [0, 1]); the first and last frame have one neighbour.

    Args:
        probs: (K, C, H, W) probabilities of the clip's frames.
        frames: (K, H, W, 3) uint8 frames at the same size.
        to_prev, to_next: Flows from :func:`clip_flows`.
        alpha, th: Occlusion sharpness and threshold (Eq. 10; defaults of
            ``uda_toolbox.utils.warp``: 4.0 and Shin et al. (2021)'s 0.7).
        chunk: Frames per call (the result does not depend on it), to bound memory on large
            frames.
    Returns:
        (K, C, H, W) aggregated probabilities.
    """
    k = probs.shape[0]
    if k < 2:
        return probs.clone()
    device = probs.device
    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device).permute(0, 3, 1, 2).float() / 255.0
    total = probs.clone()
    count = torch.ones_like(probs[:, :1])
    # All previous neighbours first, then all next ones: each frame's sum is P_i + prev + next,
    # the order of the reference in tests/pseudo_labels/test_aggregate_equivalence.py.
    # Slices instead of gathered frame groups, one sampling grid for both warps, and in-place
    # sums: visible is 0 or 1, so visible * warped is exact and addcmul_ adds what += added.
    for offset, flows in ((1, to_prev.to(device)), (0, to_next.to(device))):
        for start in range(0, k - 1, chunk):
            stop = min(start + chunk, k - 1)
            dst, src = slice(start + offset, stop + offset), slice(start + 1 - offset, stop + 1 - offset)
            grid, in_bounds = sampling_grid(flows[start:stop])
            warped = sample(probs[src], grid)
            visible = ((photometric_consistency(x[dst], sample(x[src], grid), alpha) > th)
                       & in_bounds).to(probs.dtype)
            total[dst].addcmul_(visible, warped)
            count[dst] += visible
    return total.div_(count)


def consensus_cutout(label_t: Tensor, label_ref: Tensor, flow_t_to_ref: Tensor,
                     ignore_index: int = 255, keep_out_of_bounds: bool = False) -> Tensor:
    """Shin et al. (2021) Eq. 12: RF(y_t) = 1[y_t = W_{t-tau=>t}(y_{t-tau})] y_t.

    The reference labels are warped onto frame t with nearest sampling; a pixel keeps its label
    only where the two agree. A pixel whose warped source is ignored has no consensus and
    becomes ``ignore_index`` (Eq. 12 as written). One whose source falls outside the reference
    frame has no reference at all: ignored by default, kept with ``keep_out_of_bounds``.

    Args:
        label_t: (N, H, W) integer pseudo labels of frame t.
        label_ref: (N, H, W) pseudo labels of the reference frame t - tau.
        flow_t_to_ref: (N, 2, H, W) flow from frame t to the reference frame.
        ignore_index: Unlabelled value.
        keep_out_of_bounds: Keep ``label_t`` where p + flow(p) leaves the reference frame
            (the paper is silent; default False cuts those pixels out too).
    Returns:
        (N, H, W) refined labels, ``label_t``'s dtype.
    """
    warped, in_bounds = _warp_labels(label_t, label_ref, flow_t_to_ref, 'consensus_cutout')
    agree = (label_t == warped) & in_bounds & (warped != ignore_index)
    if keep_out_of_bounds:
        agree = agree | ~in_bounds
    return torch.where(agree, label_t, torch.full_like(label_t, ignore_index))


def consensus_fillin(label_t: Tensor, label_ref: Tensor, flow_t_to_ref: Tensor, frame_t: Tensor,
                     frame_ref: Tensor, alpha: float = DEFAULT_CONSISTENCY_ALPHA,
                     th: float = DEFAULT_CONSISTENCY_THRESHOLD, ignore_index: int = 255) -> Tensor:
    """Shin et al. (2021) Eq. 14: Prop(y_t) = R_t * y_t + (1 - R_t) * I_{t-tau=>t} * W_{t-tau=>t}(y_{t-tau}).

    R_t marks the labelled pixels of frame t (the appendix's y_t != 0 in its one-hot encoding,
    i.e. ``label_t != ignore_index`` here); I is Eq. 10's non-occluded map from the reference
    frame to t. Labelled pixels keep their label; unlabelled, non-occluded, in-bounds pixels take
    the warped reference label (which may itself be ignored); the rest stay ignored.

    Args:
        label_t, label_ref, flow_t_to_ref, ignore_index: as :func:`consensus_cutout`.
        frame_t: (N, 3, H, W) frame t, [0, 1] float or uint8.
        frame_ref: (N, 3, H, W) reference frame, same scale.
        alpha, th: Eq. 10's occlusion test (as :func:`aggregate_clip`).
    Returns:
        (N, H, W) propagated labels, ``label_t``'s dtype.
    """
    warped, _ = _warp_labels(label_t, label_ref, flow_t_to_ref, 'consensus_fillin')
    visible = non_occluded_mask(frame_t, frame_ref, flow_t_to_ref, alpha, th)[:, 0]
    labelled = label_t != ignore_index
    filled = torch.where(visible, warped, torch.full_like(label_t, ignore_index))
    return torch.where(labelled, label_t, filled)


def _warp_labels(label_t: Tensor, label_ref: Tensor, flow: Tensor, name: str) -> Tuple[Tensor, Tensor]:
    """Nearest-warp ``label_ref`` (N, H, W) onto frame t: (warped (N, H, W), in_bounds (N, H, W))."""
    if label_t.dim() != 3 or label_ref.shape != label_t.shape:
        raise ValueError(f'{name} takes label_t and label_ref of the same shape (N, H, W), got '
                         f'{tuple(label_t.shape)} and {tuple(label_ref.shape)}')
    warped, in_bounds = warp(label_ref.unsqueeze(1).to(torch.float32), flow, mode='nearest')
    return warped[:, 0].round().to(label_t.dtype), in_bounds[:, 0]
