"""DAFormer's context-aware multi-level feature fusion decoder (Hoyer et al., CVPR 2022, Sec. 3.2)."""
from typing import List, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.sep_aspp_head import DepthwiseSeparableASPPModule
from mmseg.models.utils import resize
from torch import Tensor

from uda_toolbox.registry import MODELS


@MODELS.register_module()
class DAFormerHead(BaseDecodeHead):
    """Embed every encoder level, upsample to the finest one, fuse them with context.

    DAFormer Sec. 3.2, as the official ``daformer_sepaspp`` model configures it:

    1. each level i (MiT's 1/4, 1/8, 1/16, 1/32 features) is projected to ``embed_dims`` channels
       by a per-token linear layer (SegFormer's MLP embedding, no norm, no activation) and
       bilinearly upsampled to the size of level 0;
    2. the concatenation goes through parallel depthwise-separable 3x3 convolutions with
       dilations ``fusion_dilations`` (1 x 1 for dilation 1), each with BN + ReLU, no image
       pooling branch;
    3. a 3 x 3 ConvModule (BN + ReLU) fuses them to ``channels``; dropout and the 1 x 1 classifier
       follow (``BaseDecodeHead.cls_seg``).

    Args:
        embed_dims: Channels of each level's embedding (256, DAFormer's C_e).
        fusion_dilations: Dilations of the fusion branches ((1, 6, 12, 18), DAFormer).
        **kwargs: ``BaseDecodeHead`` arguments: ``in_channels`` (one per level, from the
            backbone), ``in_index``, ``channels`` (256), ``dropout_ratio`` (0.1),
            ``num_classes``, ``norm_cfg`` (BN), ``align_corners`` (False), ``loss_decode``.
    """

    def __init__(self, embed_dims: int = 256, fusion_dilations: Sequence[int] = (1, 6, 12, 18),
                 **kwargs):
        super().__init__(input_transform='multiple_select', **kwargs)
        if len(self.in_channels) != len(self.in_index):
            raise ValueError(f'DAFormerHead: in_channels {self.in_channels} and in_index '
                             f'{self.in_index} must name the same levels')
        self.embeds = nn.ModuleList(nn.Linear(c, embed_dims) for c in self.in_channels)
        self.fusion = DepthwiseSeparableASPPModule(
            dilations=tuple(fusion_dilations), in_channels=embed_dims * len(self.in_channels),
            channels=self.channels, conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.bottleneck = ConvModule(len(fusion_dilations) * self.channels, self.channels, 3,
                                     padding=1, conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                                     act_cfg=self.act_cfg)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Args: inputs: backbone outputs. Returns: logits (N, num_classes, H/4, W/4) for MiT."""
        levels = self._transform_inputs(inputs)
        size = levels[0].shape[2:]
        embedded = []
        for feature, embed in zip(levels, self.embeds):
            n, _, h, w = feature.shape
            tokens = embed(feature.flatten(2).transpose(1, 2))  # (N, h*w, embed_dims)
            level = tokens.transpose(1, 2).reshape(n, -1, h, w)
            if level.shape[2:] != size:
                level = resize(level, size=size, mode='bilinear', align_corners=self.align_corners)
            embedded.append(level)
        fused = self.bottleneck(torch.cat(self.fusion(torch.cat(embedded, dim=1)), dim=1))
        return self.cls_seg(fused)
