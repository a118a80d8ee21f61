"""Temporal pseudo-label operations of the seed paper (VST), pure tensor functions.

* :func:`aggregate_predictions` - Eq. 10, temporally aggregated prediction.
* :func:`consensus_cutout` - Eq. 12, online refinement by temporal consensus (the paper's VST).
* :func:`consensus_fillin` - Eq. 14 (Appendix B, Table 6), the fill-in baseline.

Flow convention (docs/data.md): ``flow_i_to_j`` at pixel p of frame i points to p + flow(p) in
frame j, so ``warp(x_j, flow_i_to_j)`` brings frame j's values onto frame i.
"""
from typing import Sequence, Tuple

import torch
from torch import Tensor

from uda_toolbox.utils.warp import (
    DEFAULT_CONSISTENCY_ALPHA,
    DEFAULT_CONSISTENCY_THRESHOLD,
    non_occluded_mask,
    warp,
)

Neighbour = Tuple[Tensor, Tensor, Tensor, Tensor]  # (prob_j, flow_i_to_j, frame_i, frame_j)


def aggregate_predictions(prob_i: Tensor, neighbours: Sequence[Neighbour],
                          alpha: float = DEFAULT_CONSISTENCY_ALPHA,
                          th: float = DEFAULT_CONSISTENCY_THRESHOLD) -> Tensor:
    """Seed Eq. 10: P^A_i = (P_i + sum_j I_{j=>i} W_{j=>i}(P_j)) / (1 + sum_j I_{j=>i}).

    Each neighbour's softmax map is warped onto frame i (bilinear) and averaged with P_i where
    it is not occluded: I_{j=>i} = 1[exp(-alpha ||x_i - W(x_j)||_2) > th], and in bounds.

    Args:
        prob_i: (N, C, H, W) softmax of frame i.
        neighbours: (prob_j (N, C, H, W), flow_i_to_j (N, 2, H, W), frame_i (N, 3, H, W),
            frame_j (N, 3, H, W)) per neighbour j (the paper: j in {i-1, i+1}; a clip's first
            and last frames have one). Frames are [0, 1] float or uint8, any channel order.
        alpha: Sharpness of the occlusion map O (the paper gives none; see docs/pseudo_labels.md).
        th: Threshold on O (0.7, seed Sec. 5.1).
    Returns:
        (N, C, H, W) aggregated probabilities (each pixel still sums to 1).
    """
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


def consensus_cutout(label_t: Tensor, label_ref: Tensor, flow_t_to_ref: Tensor,
                     ignore_index: int = 255, keep_out_of_bounds: bool = False) -> Tensor:
    """Seed Eq. 12: RF(y_t) = 1[y_t = W_{t-tau=>t}(y_{t-tau})] y_t.

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
    """Seed Eq. 14: Prop(y_t) = R_t * y_t + (1 - R_t) * I_{t-tau=>t} * W_{t-tau=>t}(y_{t-tau}).

    R_t marks the labelled pixels of frame t (the appendix's y_t != 0 in its one-hot encoding,
    i.e. ``label_t != ignore_index`` here); I is Eq. 10's non-occluded map from the reference
    frame to t. Labelled pixels keep their label; unlabelled, non-occluded, in-bounds pixels take
    the warped reference label (which may itself be ignored); the rest stay ignored.

    Args:
        label_t, label_ref, flow_t_to_ref, ignore_index: as :func:`consensus_cutout`.
        frame_t: (N, 3, H, W) frame t, [0, 1] float or uint8.
        frame_ref: (N, 3, H, W) reference frame, same scale.
        alpha, th: Eq. 10's occlusion test (as :func:`aggregate_predictions`).
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
