"""Soft pseudo labels on disk (CRST's LR-ENT): the two most likely classes of each pixel and the
weight of the first, in one 3-channel 8-bit PNG per frame beside the hard label.

Channel 0 is the hard label (the first class; ``IGNORE_INDEX`` where the pixel is not selected),
channel 1 the second class, channel 2 ``round(255 * y_1 / (y_1 + y_2))``, the first class's share
of the two (>= 128). The soft label read back is ``w * onehot(first) + (1 - w) * onehot(second)``:
the full soft label truncated to its two largest entries, renormalised, with the weight
quantised to 1/255 (docs/methods/crst.md, "LR-ENT", says why that is close to exact). Written by
the pseudo-label rounds (``pseudo_labels.policies.LabelEntropyPolicy``), read by the
``LoadClipSoftLabels`` transform, turned into the loss by the CRST adaptor; the format lives here,
in the bottom layer, so that all three agree.
"""
from typing import Tuple

import torch
from torch import Tensor

#: Channels of a soft-label map.
FIRST, SECOND, WEIGHT = 0, 1, 2


def encode_top2(soft: Tensor, hard: Tensor) -> Tensor:
    """Pack soft labels (K, C, H, W) and the hard labels (K, H, W) of the same pixels into
    (K, H, W, 3) uint8 (see the module doc); ``hard`` must be the soft argmax or ``IGNORE_INDEX``."""
    if soft.dim() != 4 or soft.shape[1] < 2 or hard.shape != soft.shape[:1] + soft.shape[2:]:
        raise ValueError(f'encode_top2 takes soft (K, C >= 2, H, W) and hard (K, H, W), got '
                         f'{tuple(soft.shape)} and {tuple(hard.shape)}')
    values, classes = soft.double().topk(2, dim=1)  # (K, 2, H, W), largest first
    share = values[:, 0] / (values[:, 0] + values[:, 1]).clamp_min(torch.finfo(torch.float64).tiny)
    packed = torch.stack([hard.long(), classes[:, 1], torch.round(255 * share).long()], dim=-1)
    return packed.to(torch.uint8)


def decode_top2(packed: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """(first class, second class, weight of the first in [0, 1]) of packed maps (..., 3); the
    first class is ``IGNORE_INDEX`` where the pixel has no label."""
    if packed.shape[-1] != 3:
        raise ValueError(f'soft-label maps have 3 channels, got shape {tuple(packed.shape)}')
    packed = packed.long()
    return packed[..., FIRST], packed[..., SECOND], packed[..., WEIGHT].float() / 255.0


__all__ = ['encode_top2', 'decode_top2', 'FIRST', 'SECOND', 'WEIGHT']
