"""DeepLabv2 classifier head (Chen et al., TPAMI 2018), the head of Shin et al. (2021)'s framework
(Sec. 5.1)."""
from typing import List, Sequence

import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor

from uda_toolbox.registry import MODELS


@MODELS.register_module()
class DeepLabV2Head(BaseDecodeHead):
    """ASPP as in DeepLabv2: parallel 3x3 convs with different dilations, each predicting
    class scores directly from the backbone features, summed (no 1x1 fusion, no BN).

    This is the classifier AdaptSegNet, ADVENT, IAST and Shin et al. (2021) all use on
    ResNet features (dilations 6/12/18/24 at output stride 8).

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
        # The branches are the classifier: BaseDecodeHead's conv_seg would be an unused
        # parameter (and break DDP without find_unused_parameters).
        del self.conv_seg
        self.aspp = nn.ModuleList(
            nn.Conv2d(self.in_channels, self.num_classes, 3, padding=d, dilation=d, bias=True)
            for d in dilations)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Args: inputs: backbone outputs. Returns: logits (N, num_classes, h, w)."""
        x = self._transform_inputs(inputs)
        out = self.aspp[0](x)
        for branch in self.aspp[1:]:
            out = out + branch(x)
        return out
