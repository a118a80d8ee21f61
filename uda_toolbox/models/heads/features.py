"""What a decode head classifies: its logits together with the features its final classifier reads.

Source-free methods work on those features (SHOT's class centroids, HCL's and STPL's projection
heads, URMA's extra noisy classifiers), so this module gives them for any head: our
``DeepLabV2Head`` (whose features are the backbone output, ``forward_with_features``) and any mmseg
``BaseDecodeHead`` (the input of its final 1x1 classifier ``conv_seg``, before its dropout).
"""
from typing import List, Tuple

import torch.nn as nn
from mmengine.model import normal_init
from torch import Tensor

from uda_toolbox.models.heads.deeplabv2_head import DeepLabV2Head, dilated_branches, sum_branches


def decode_with_features(head: nn.Module, inputs: List[Tensor]) -> Tuple[Tensor, Tensor]:
    """(logits (N, C, h, w), features (N, D, h, w)) of one forward pass of ``head``.

    Args:
        head: A decode head: one with ``forward_with_features`` (``DeepLabV2Head``), or an mmseg
            ``BaseDecodeHead`` whose final classifier is ``conv_seg`` (the features are its
            input before the head's dropout, as a forward pre-hook sees them).
        inputs: The backbone outputs.
    """
    if hasattr(head, 'forward_with_features'):
        return head.forward_with_features(inputs)
    classifier = getattr(head, 'conv_seg', None)
    if classifier is None:
        raise TypeError(f'{type(head).__name__} has neither forward_with_features nor conv_seg: '
                        'source-free methods cannot find the features it classifies. Give the '
                        'head a forward_with_features(inputs) -> (logits, features) method.')
    first = head.dropout if getattr(head, 'dropout', None) is not None else classifier
    captured: List[Tensor] = []
    handle = first.register_forward_pre_hook(lambda module, args: captured.append(args[0]))
    try:
        logits = head(inputs)
    finally:
        handle.remove()
    if not captured:
        raise TypeError(f'{type(head).__name__}.forward never ran its classifier conv_seg')
    return logits, captured[-1]


def classifier_modules(head: nn.Module) -> List[nn.Module]:
    """The modules of ``head`` that map its features to class scores (SHOT's and URMA's frozen
    "classifier"): every ASPP branch of ``DeepLabV2Head``, ``conv_seg`` of an mmseg head."""
    if isinstance(head, DeepLabV2Head):
        return [head.aspp]
    if getattr(head, 'conv_seg', None) is None:
        raise TypeError(f'{type(head).__name__}: no classifier found (DeepLabV2Head.aspp or conv_seg)')
    return [head.conv_seg]


def feature_channels(head: nn.Module) -> int:
    """Channels of the features :func:`decode_with_features` returns for ``head``."""
    if isinstance(head, DeepLabV2Head):
        return head.in_channels
    return classifier_modules(head)[0].in_channels


class FeatureClassifier(nn.Module):
    """A freshly initialised classifier of the same form as a head's, on that head's features:
    DeepLabv2's dilated branches for ``DeepLabV2Head``, a 1x1 conv for an mmseg head; weights
    N(0, 0.01), biases 0 (DeepLabv2's classifier initialisation)."""

    def __init__(self, head: nn.Module):
        super().__init__()
        if isinstance(head, DeepLabV2Head):
            self.branches = dilated_branches(head.in_channels, head.num_classes, head.dilations)
        else:
            conv = classifier_modules(head)[0]
            self.branches = nn.ModuleList([nn.Conv2d(conv.in_channels, conv.out_channels, 1)])
        for branch in self.branches:
            normal_init(branch, mean=0.0, std=0.01, bias=0.0)

    def forward(self, features: Tensor) -> Tensor:
        return sum_branches(self.branches, features)
