"""Class-mix of clips: frames, labels and flows pasted with the same masks.

A clip here is a dict of ``frames`` (N, T, C, H, W), ``labels`` (N, T, H, W) and, optionally,
``flows`` (N, T-1, 2, H, W), ``flows[:, k]`` from frame k + 1 to frame k on frame k + 1's grid.
ClassMix (Olsson et al., WACV 2021) pastes the pixels of chosen classes of one image onto another;
DA-STC (ZHE-SAPI/UDASS ``tps/dsp/transformmasks_dsp_cd_xiuzheng.py``: ``oneMix``,
``Class_mix``, ``Class_mix_nolongtail``, ``Class_mix_flow``, ``rand_mixer.mix``) does it on
two-frame clips, pasting the flow with the masks too so that the pasted pixels keep their own
motion, and composes four directions (:func:`quad_mix`). Pure functions; docs/methods/da_stc.md.
"""
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor

Clip = Dict[str, Tensor]
#: Which frame's mask pastes the flow ``flows[:, k]`` (from frame k + 1 to frame k): ``'current'``
#: (frame k + 1, the grid the flow lives on) or ``'previous'`` (frame k: DA-STC's code pastes its
#: flows with the masks of frame t-1, ``MixMask_kf`` and ``mask_c_last``).
FLOW_MASK_FRAMES = ('current', 'previous')


def class_mask(labels: Tensor, classes: Tensor) -> Tensor:
    """``1[label in classes]`` (bool, the shape of ``labels``): ClassMix's mask
    (``generate_class_mask``). ``classes`` is a 1-D tensor of any dtype; an empty one gives an
    empty mask."""
    classes = torch.as_tensor(classes, device=labels.device).reshape(-1)
    if classes.numel() == 0:
        return torch.zeros_like(labels, dtype=torch.bool)
    return torch.isin(labels, classes.to(labels.dtype))


def paste(foreground: Tensor, background: Tensor, mask: Tensor) -> Tensor:
    """``mask * foreground + (1 - mask) * background`` (``oneMix``); ``mask`` (..., H, W) bool or
    float in [0, 1] (a float mask blends), broadcast over a channel axis when the images have one
    more dimension than the mask."""
    if mask.dim() == foreground.dim() - 1:
        mask = mask.unsqueeze(-3)
    if mask.dtype == torch.bool:
        return torch.where(mask, foreground, background)
    mask = mask.to(foreground.dtype)
    return mask * foreground + (1 - mask) * background


def flow_masks(masks: Tensor, flow_mask_frame: str = 'current') -> Tensor:
    """The masks (N, T-1, H, W) that paste ``flows[:, k]``, from the frames' masks (N, T, H, W)
    (see :data:`FLOW_MASK_FRAMES`)."""
    if flow_mask_frame not in FLOW_MASK_FRAMES:
        raise ValueError(f'flow_mask_frame must be one of {FLOW_MASK_FRAMES}, got '
                         f'{flow_mask_frame!r}')
    return masks[:, 1:] if flow_mask_frame == 'current' else masks[:, :-1]


def mix_clip(foreground: Clip, background: Clip, masks: Tensor, image_weight: float = 1.0,
             flow_mask_frame: str = 'current') -> Clip:
    """Paste ``foreground`` over ``background`` where ``masks`` is set, frame by frame.

    Args:
        foreground: The clip pasted (frames, labels, optional flows).
        background: The clip pasted on; its size.
        masks: (N, T, H, W) bool: where each frame of the foreground is pasted.
        image_weight: The frames are blended with ``image_weight * mask`` (DA-STC's ``lam``:
            ``MixMask_lam``; 1: a hard paste); labels and flows are always pasted hard.
        flow_mask_frame: Which frame's mask pastes each flow (:data:`FLOW_MASK_FRAMES`).
    Returns:
        The mixed clip; ``flows`` when both clips have them (else the background's, if any).
    """
    if masks.dtype != torch.bool:
        raise TypeError(f'mix_clip: masks must be bool, got {masks.dtype}')
    if masks.shape != background['labels'].shape or foreground['labels'].shape != masks.shape:
        raise ValueError(f'mix_clip: masks {tuple(masks.shape)}, foreground labels '
                         f'{tuple(foreground["labels"].shape)} and background labels '
                         f'{tuple(background["labels"].shape)} must have the same (N, T, H, W)')
    image_mask = masks if image_weight == 1.0 else masks.to(background['frames'].dtype) * image_weight
    mixed = dict(background)
    mixed['frames'] = paste(foreground['frames'], background['frames'], image_mask)
    mixed['labels'] = torch.where(masks, foreground['labels'], background['labels'])
    if foreground.get('flows') is not None and background.get('flows') is not None:
        mixed['flows'] = paste(foreground['flows'], background['flows'],
                               flow_masks(masks, flow_mask_frame))
    return mixed


def paste_instances(clip: Clip, frames: Tensor, labels: Tensor, classes: Tensor
                    ) -> Tuple[Clip, Tensor]:
    """Paste single-frame instances on every frame of a clip (DA-STC's long-tail paste,
    ``rand_mixer.mix``): instance k covers the pixels where ``labels[:, k] == classes[:, k]``,
    pasted in the order k = 0, 1, ... (a later one covers an earlier one); flows are left as they
    are (the instances have no motion).

    Args:
        clip: The clip pasted on, frames (N, T, C, H, W), labels (N, T, H, W).
        frames: (N, K, C, H, W) the instances' frames.
        labels: (N, K, H, W) their labels.
        classes: (N, K) the class of each instance; a negative class pastes nothing.
    Returns:
        (the clip, the number of instances covering each pixel (N, H, W), long): the code's
        ``Masks_longtail`` is this sum (2 where two instances overlap), not their union.
    """
    if frames.shape[:2] != labels.shape[:2] or classes.shape != labels.shape[:2]:
        raise ValueError(f'paste_instances: frames {tuple(frames.shape)}, labels '
                         f'{tuple(labels.shape)} and classes {tuple(classes.shape)} must share (N, K)')
    mixed = dict(clip)
    count = torch.zeros_like(clip['labels'][:, 0], dtype=torch.long)
    for k in range(classes.shape[1]):
        mask = (labels[:, k] == classes[:, k, None, None].to(labels.dtype)) \
            & (classes[:, k, None, None] >= 0)  # (N, H, W)
        frame_masks = mask[:, None].expand_as(mixed['labels'])
        mixed['frames'] = paste(frames[:, k, None].expand_as(mixed['frames']), mixed['frames'],
                                frame_masks)
        mixed['labels'] = torch.where(frame_masks, labels[:, k, None].to(mixed['labels'].dtype),
                                      mixed['labels'])
        count += mask.long()
    return mixed, count


def quad_mix(source: Clip, target: Clip, previous_source: Clip, previous_target: Clip,
             source_masks: Tensor, target_masks: Tensor,
             instances: Optional[Tuple[Tensor, Tensor, Tensor]] = None,
             image_weight: float = 1.0, flow_mask_frame: str = 'previous'
             ) -> Tuple[Clip, Clip, Tensor]:
    """DA-STC's four-directional two-frame class-mix (research/peers_dastc_stpl.md A.7 step 6).

    Two mixed clips, each built in three pastes:

    1. the classes ``source_masks`` selects of the *previous* source clip, pasted on the
       current source clip (**S->S**) and on the current target clip (**S->T**; the target's
       labels are its pseudo labels), frames blended with ``image_weight``;
    2. the long-tail ``instances`` (frames, labels, classes; :func:`paste_instances`) on both;
    3. the confident classes ``target_masks`` selects of the *previous* target clip (its pseudo
       labels), pasted on both (**T->S**, **T->T**).

    Flows are pasted in steps 1 and 3 with ``flow_mask_frame``'s masks, never in step 2.

    Args:
        source, target: The current clips (the backgrounds), of one size (the mixing window).
        previous_source, previous_target: The previous iteration's clips (the foregrounds).
        source_masks: (N, T, H, W) bool, pasting ``previous_source``.
        target_masks: (N, T, H, W) bool, pasting ``previous_target``.
        instances: None, or (frames (N, K, C, H, W), labels (N, K, H, W), classes (N, K)).
        image_weight: DA-STC's ``lam`` for step 1 (steps 2 and 3 paste hard, as coded).
        flow_mask_frame: See :data:`FLOW_MASK_FRAMES` (``'previous'``: the code).
    Returns:
        (the source-background clip, the target-background clip, the long-tail count (N, H, W):
        how many instances cover each pixel, 0 without instances).
    """
    mixed = []
    count = torch.zeros_like(source['labels'][:, 0], dtype=torch.long)
    for background in (source, target):
        clip = mix_clip(previous_source, background, source_masks, image_weight, flow_mask_frame)
        if instances is not None:
            clip, count = paste_instances(clip, *instances)
        mixed.append(mix_clip(previous_target, clip, target_masks, 1.0, flow_mask_frame))
    return mixed[0], mixed[1], count
