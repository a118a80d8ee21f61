"""DeepLabv2 classifier head (Chen et al., TPAMI 2018), the head of Shin et al. (2021)'s framework
(Sec. 5.1)."""
from typing import List, Sequence, Tuple

import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor

from uda_toolbox.registry import MODELS


def dilated_branches(in_channels: int, num_classes: int, dilations: Sequence[int]) -> nn.ModuleList:
    """DeepLabv2's ASPP classifier: one 3x3 conv per dilation, each predicting class scores."""
    return nn.ModuleList(
        nn.Conv2d(in_channels, num_classes, 3, padding=d, dilation=d, bias=True) for d in dilations)


def sum_branches(branches: nn.ModuleList, x: Tensor) -> Tensor:
    """The ASPP classifier's scores: the sum of its branches' outputs on ``x``."""
    out = branches[0](x)
    for branch in branches[1:]:
        out = out + branch(x)
    return out


@MODELS.register_module()
class DeepLabV2Head(BaseDecodeHead):
    """ASPP as in DeepLabv2: parallel 3x3 convs with different dilations, each predicting
    class scores directly from the backbone features, summed (no 1x1 fusion, no BN).

    This is the classifier AdaptSegNet, ADVENT, IAST and Shin et al. (2021) all use on
    ResNet features (dilations 6/12/18/24 at output stride 8). The whole head is the
    classifier: the features it classifies are the selected backbone output itself
    (:meth:`forward_with_features`).

    Args:
        dilations: Dilation of each parallel branch.
        **kwargs: ``BaseDecodeHead`` arguments (``in_channels``, ``num_classes``, ``in_index``,
            ``align_corners``, ``loss_decode``...). ``channels`` is unused by this head.
    """

    def __init__(self, dilations: Sequence[int] = (6, 12, 18, 24), **kwargs):
        kwargs.setdefault('channels', kwargs.get('in_channels', 1))
        kwargs.setdefault('dropout_ratio', 0.0)
        # DeepLabv2 initialises the classifier with N(0, 0.01).
        kwargs.setdefault('init_cfg', dict(type='Normal', std=0.01, override=dict(name='aspp')))
        super().__init__(**kwargs)
        self.dilations = tuple(dilations)
        # The branches are the classifier: BaseDecodeHead's conv_seg would be an unused
        # parameter (and break DDP without find_unused_parameters).
        del self.conv_seg
        self.aspp = dilated_branches(self.in_channels, self.num_classes, self.dilations)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Args: inputs: backbone outputs. Returns: logits (N, num_classes, h, w)."""
        return self.forward_with_features(inputs)[0]

    def forward_with_features(self, inputs: List[Tensor]) -> Tuple[Tensor, Tensor]:
        """(logits, the features the classifier reads): here the selected backbone output."""
        x = self._transform_inputs(inputs)
        return sum_branches(self.aspp, x), x
