"""Backward warping with optical flow and the photometric non-occlusion test of Shin et al. (2021) Eq. 10.

Flow convention (docs/data.md): the flow stored for frame i "to j" gives, at pixel p of frame i,
the position p + flow(p) of the same scene point in frame j. Backward warping therefore samples
frame j at p + flow(p): ``warp(x_j, flow_i_to_j)`` brings frame j (or its prediction, or its
labels) onto frame i. They sit in the bottom layer so that the pseudo-label code (Eq. 10
aggregation, ``pseudo_labels/temporal.py``) and the adaptors (VST's occlusion-test defaults)
share one implementation.

The two-frame flow-fusion segmentor of DA-VSN / TPS (``uda_toolbox.models.segmentors``) also warps
with these kernels: :func:`warp` is TPS's compiled ``Resample2d(bilinear=True)`` (backward bilinear,
border-clamped), :func:`forward_splat_nearest` is DA-VSN's forward nearest-neighbour splat, and
:func:`resize_flow` brings a flow to the logit grid as both originals do.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

WARP_MODES = ('bilinear', 'nearest')
#: How :func:`resize_flow` scales the displacements: DA-VSN / TPS multiply both components by the
#: height ratio only (their ``interp_flow2cf_ratio``); ``'per_axis'`` scales dx by the width ratio.
FLOW_SCALINGS = ('height', 'per_axis')

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


def resize_flow(flow: Tensor, size: Tuple[int, int], scaling: str = 'height') -> Tensor:
    """Resize a flow field to another grid (e.g. the logit grid) and rescale its displacements.

    As DA-VSN and TPS do (``accel_deeplabv2.py``: ``nn.Upsample(bilinear, align_corners=True)``,
    then ``* h / H``): bilinear with ``align_corners=True``, both components multiplied by the
    height ratio ``h / H`` (``scaling='height'``). The width ratio differs from it by about 0.8 %
    for their DeepLab-v2 logit grids (65/512 vs 129/1024); ``scaling='per_axis'`` multiplies dx by
    ``w / W`` and dy by ``h / H`` instead.

    Args:
        flow: (N, 2, H, W) flow (dx, dy) in pixels of the (H, W) grid.
        size: The new (h, w).
        scaling: ``'height'`` (the originals) or ``'per_axis'``.
    Returns:
        (N, 2, h, w) float flow in pixels of the new grid.
    """
    if flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f'resize_flow takes a flow (N, 2, H, W), got {tuple(flow.shape)}')
    if scaling not in FLOW_SCALINGS:
        raise ValueError(f'flow scaling must be one of {FLOW_SCALINGS}, got {scaling!r}')
    (h, w), (src_h, src_w) = (int(size[0]), int(size[1])), flow.shape[2:]
    flow = flow if flow.is_floating_point() else flow.to(torch.float32)
    if (h, w) != (src_h, src_w):
        flow = F.interpolate(flow, size=(h, w), mode='bilinear', align_corners=True)
    if scaling == 'height':
        return flow * (h / src_h)
    ratio = torch.tensor([w / src_w, h / src_h], dtype=flow.dtype, device=flow.device)
    return flow * ratio.view(1, 2, 1, 1)


def compose_flows(first: Tensor, second: Tensor) -> Tensor:
    """The flow from frame i to frame k through frame j: ``o_ik(p) = o_ij(p) + o_jk(p + o_ij(p))``,
    ``o_jk`` sampled bilinearly (border-clamped, as :func:`warp`).

    DA-STC's second temporal view needs the target flow t -> t-2; the toolbox's flow files link
    neighbouring frames only, so it is chained from t -> t-1 and t-1 -> t-2 (docs/methods/da_stc.md).

    Args:
        first: (N, 2, H, W) flow i -> j on frame i's grid.
        second: (N, 2, H, W) flow j -> k on frame j's grid (same size).
    Returns:
        (N, 2, H, W) flow i -> k on frame i's grid.
    """
    moved, _ = warp(second.to(first.dtype), first, mode='bilinear')
    return first + moved


def forward_splat_nearest(x: Tensor, flow: Tensor) -> Tuple[Tensor, Tensor]:
    """DA-VSN's propagation: forward nearest-neighbour splat of frame t-1 values onto frame t.

    DA-VSN (``davsn/model/accel_deeplabv2.py`` and the intra-domain TCR of
    ``train_video_UDA.py``, after its 2021-09-28 fix) loops over the grid, x outer and y inner,
    and writes the value at pixel (y, x) to ``(round(y - dy(y, x)), round(x - dx(y, x)))`` when
    that target lies inside the frame; a later write replaces an earlier one, and targets nobody
    writes to (holes) stay 0. The flow is the t -> t-1 flow of the frame-t grid, read at the
    *source* pixel: the forward-warping approximation of backward warping (docs/methods/da_vsn.md).

    This is the same computation without a Python loop: every in-bounds source pixel proposes
    itself to its target with the priority of its loop position (x * H + y), and each target
    keeps the proposal of highest priority (the last write). ``torch.round`` rounds half to even
    like Python's ``round`` on the original's float64 values.

    Args:
        x: (N, C, H, W) values of frame t-1 (logits, probabilities, entropy maps).
        flow: (N, 2, H, W) t -> t-1 flow (dx, dy) in pixels of the same grid.
    Returns:
        (splatted (N, C, H, W), mask (N, 1, H, W) bool): mask is True where some source pixel
        landed; splatted is 0 in the holes.
    """
    _check_pair(x, flow, 'forward_splat_nearest')
    n, c, h, w = x.shape
    device = x.device
    ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device),
                            indexing='ij')
    flow64 = flow.to(torch.float64)
    target_x = torch.round(xs.unsqueeze(0) - flow64[:, 0]).long()  # (N, H, W)
    target_y = torch.round(ys.unsqueeze(0) - flow64[:, 1]).long()
    inside = (target_x >= 0) & (target_x < w) & (target_y >= 0) & (target_y < h)
    batch = torch.arange(n, device=device).view(n, 1, 1).expand(n, h, w)
    target = ((batch * h + target_y) * w + target_x)[inside]
    # Loop order of the original: x outer, y inner, so (x, y) is written at step x * H + y.
    priority = (xs * h + ys).unsqueeze(0).expand(n, h, w)[inside]
    winner = torch.full((n * h * w,), -1, dtype=torch.long, device=device)
    winner.scatter_reduce_(0, target, priority, reduce='amax', include_self=True)
    landed = winner >= 0
    # Back from the winning priority to its source pixel (same sample as the target).
    win = winner[landed]
    source = (torch.div(torch.nonzero(landed).squeeze(1), h * w, rounding_mode='floor') * h
              + win % h) * w + torch.div(win, h, rounding_mode='floor')
    values = x.permute(0, 2, 3, 1).reshape(n * h * w, c)
    out = torch.zeros_like(values)
    out[landed] = values[source]
    return (out.view(n, h, w, c).permute(0, 3, 1, 2).contiguous(),
            landed.view(n, 1, h, w))


def propagate(x: Tensor, flow: Tensor, method: Optional[str]) -> Tuple[Tensor, Tensor]:
    """Bring frame t-1 values onto frame t with one of the two-frame methods' warps.

    Args:
        x: (N, C, H, W) values of frame t-1.
        flow: (N, 2, H, W) t -> t-1 flow on the same grid.
        method: ``'bilinear'``: backward bilinear, border-clamped (TPS's ``Resample2d``, no mask:
            the mask is all True); ``'splat'``: DA-VSN's forward nearest splat with its hole mask;
            None: no propagation (the values of t-1 at the same pixel; DA-VSN before its
            2021-09 fix).
    Returns:
        (values on frame t (N, C, H, W), mask (N, 1, H, W) bool).
    """
    if method == 'bilinear':
        warped, _ = warp(x, flow, mode='bilinear')
        return warped, torch.ones_like(warped[:, :1], dtype=torch.bool)
    if method == 'splat':
        return forward_splat_nearest(x, flow)
    if method is None:
        _check_pair(x, flow, 'propagate')
        return x, torch.ones_like(x[:, :1], dtype=torch.bool)
    raise ValueError(f"propagation method must be 'bilinear', 'splat' or None, got {method!r}")
