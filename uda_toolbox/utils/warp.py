"""Backward warping with optical flow and the photometric non-occlusion test of Shin et al. (2021) Eq. 10.

Flow convention (docs/data.md): the flow stored for frame i "to j" gives, at pixel p of frame i,
the position p + flow(p) of the same scene point in frame j. Backward warping therefore samples
frame j at p + flow(p): ``warp(x_j, flow_i_to_j)`` brings frame j (or its prediction, or its
labels) onto frame i. They sit in the bottom layer so that the pseudo-label code (Eq. 10
aggregation, ``pseudo_labels/temporal.py``) and the adaptors (VST's occlusion-test defaults)
share one implementation.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

WARP_MODES = ('bilinear', 'nearest')

# Shin et al. (2021) Eq. 10 leaves alpha of O = exp(-alpha * ||x_i - W(x_j)||_2) unspecified. With frames in
# [0, 1] and th = 0.7, alpha = 4 keeps a pixel when its RGB warping error (L2 over the 3
# channels) is below -ln(0.7) / 4 = 0.089, the same cut-off as the squared-error mask
# exp(-50 ||.||^2) > 0.7 of Lai et al. (ECCV 2018); see docs/pseudo_labels.md.
DEFAULT_CONSISTENCY_ALPHA = 4.0
# Shin et al. (2021) Sec. 5.1: "We set th to 0.7 for cutting out the occluded area."
DEFAULT_CONSISTENCY_THRESHOLD = 0.7

# Tolerance (pixels) of the in-bounds test, so float rounding of an exact border position
# (x + flow = W - 1) does not count as outside.
_BOUNDS_EPS = 1e-3


def _check_pair(x: Tensor, flow: Tensor, name: str) -> None:
    if x.dim() != 4 or flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f'{name} takes x (N, C, H, W) and flow (N, 2, H, W), '
                         f'got {tuple(x.shape)} and {tuple(flow.shape)}')
    if x.shape[0] != flow.shape[0] or x.shape[2:] != flow.shape[2:]:
        raise ValueError(f'{name}: x {tuple(x.shape)} and flow {tuple(flow.shape)} must share '
                         'N, H and W (resize the flow with the frames, scaling its values)')


def warp(x: Tensor, flow: Tensor, mode: str = 'bilinear') -> Tuple[Tensor, Tensor]:
    """Backward-warp ``x`` with ``flow``: ``out[:, :, y, x] = x[:, :, y + flow_y, x + flow_x]``.

    Sampling uses ``grid_sample`` with ``align_corners=True``, so pixel centres sit at integer
    coordinates 0 .. W-1 and an integer flow moves values exactly (bilinear or nearest).

    Args:
        x: (N, C, H, W) values of the other frame (images, probabilities, or labels as float
            with ``mode='nearest'``); integer tensors are sampled as float and cast back.
        flow: (N, 2, H, W) flow (dx, dy) in pixels from the frame we warp onto to ``x``'s frame.
        mode: ``'bilinear'`` (images, probabilities) or ``'nearest'`` (labels).
    Returns:
        (warped (N, C, H, W) with ``x``'s dtype, in_bounds (N, 1, H, W) bool): in_bounds is False
        where p + flow(p) falls outside the other frame; values there are border-replicated and
        meaningless, so callers must mask them.
    """
    _check_pair(x, flow, 'warp')
    grid, in_bounds = sampling_grid(flow)
    return sample(x, grid, mode), in_bounds


def sampling_grid(flow: Tensor) -> Tuple[Tensor, Tensor]:
    """The ``grid_sample`` grid of :func:`warp` for ``flow``, to reuse for several inputs.

    Args:
        flow: (N, 2, H, W) flow (dx, dy) in pixels.
    Returns:
        (grid (N, H, W, 2) float32 for ``align_corners=True``, in_bounds (N, 1, H, W) bool; see
        :func:`warp`).
    """
    _, _, h, w = flow.shape
    flow = flow.to(torch.float32)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32, device=flow.device),
                            torch.arange(w, dtype=torch.float32, device=flow.device), indexing='ij')
    pos_x = xs.unsqueeze(0) + flow[:, 0]  # (N, H, W) sampling positions in pixels
    pos_y = ys.unsqueeze(0) + flow[:, 1]
    in_bounds = ((pos_x >= -_BOUNDS_EPS) & (pos_x <= w - 1 + _BOUNDS_EPS)
                 & (pos_y >= -_BOUNDS_EPS) & (pos_y <= h - 1 + _BOUNDS_EPS)).unsqueeze(1)
    # align_corners=True: -1 and 1 are the centres of the first and last pixels.
    grid = torch.stack((2 * pos_x / max(w - 1, 1) - 1, 2 * pos_y / max(h - 1, 1) - 1), dim=-1)
    return grid, in_bounds


def sample(x: Tensor, grid: Tensor, mode: str = 'bilinear') -> Tensor:
    """``x`` (N, C, H, W) sampled at a :func:`sampling_grid` grid, as :func:`warp` does."""
    if mode not in WARP_MODES:
        raise ValueError(f'warp mode must be one of {WARP_MODES}, got {mode!r}')
    src = x if x.is_floating_point() else x.to(torch.float32)
    warped = F.grid_sample(src, grid.to(src.dtype), mode=mode, padding_mode='border',
                           align_corners=True)
    if not x.is_floating_point():
        warped = warped.round().to(x.dtype)
    return warped


def photometric_consistency(frame_i: Tensor, warped_j: Tensor,
                            alpha: float = DEFAULT_CONSISTENCY_ALPHA) -> Tensor:
    """Shin et al. (2021) Eq. 10's occlusion map O_{j=>i} = exp(-alpha * ||x_i - W_{j=>i}(x_j)||_2).

    Args:
        frame_i: (N, 3, H, W) frame i, float in [0, 1] (uint8 frames are divided by 255).
        warped_j: (N, 3, H, W) frame j warped onto i (same scale as ``frame_i``).
        alpha: Sharpness; the L2 norm is over the channels of each pixel.
    Returns:
        (N, 1, H, W) in (0, 1]: 1 where the warped frame matches exactly, near 0 where the
        warping error is large (occlusions, disocclusions, flow errors).
    """
    if frame_i.shape != warped_j.shape:
        raise ValueError('photometric_consistency: frame_i and warped_j must have the same shape, '
                         f'got {tuple(frame_i.shape)} and {tuple(warped_j.shape)}')
    diff = to_unit_range(frame_i) - to_unit_range(warped_j)
    return torch.exp(-alpha * diff.pow(2).sum(dim=1, keepdim=True).sqrt())


def non_occluded_mask(frame_i: Tensor, frame_j: Tensor, flow_i_to_j: Tensor,
                      alpha: float = DEFAULT_CONSISTENCY_ALPHA,
                      th: float = DEFAULT_CONSISTENCY_THRESHOLD) -> Tensor:
    """Shin et al. (2021) Eq. 10's non-occluded map I_{j=>i} = 1[O_{j=>i} > th], also False out of bounds.

    Args:
        frame_i: (N, 3, H, W) frame i, [0, 1] float or uint8.
        frame_j: (N, 3, H, W) frame j, same scale.
        flow_i_to_j: (N, 2, H, W) flow from i to j.
        alpha: Sharpness of O (see :func:`photometric_consistency`).
        th: Threshold on O (0.7 in Shin et al. (2021)).
    Returns:
        (N, 1, H, W) bool.
    """
    warped_j, in_bounds = warp(to_unit_range(frame_j), flow_i_to_j, mode='bilinear')
    return (photometric_consistency(frame_i, warped_j, alpha) > th) & in_bounds


def to_unit_range(frames: Tensor) -> Tensor:
    """uint8 frames -> float32 in [0, 1]; floating frames are returned unchanged (assumed [0, 1])."""
    if frames.dtype == torch.uint8:
        return frames.to(torch.float32) / 255.0
    if not frames.is_floating_point():
        raise TypeError(f'frames must be uint8 or floating point in [0, 1], got {frames.dtype}')
    return frames
