"""A small dilated ConvNet so every method trains on the embedded pair on 2 CPU cores in minutes."""
from typing import Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from uda_toolbox.registry import MODELS


@MODELS.register_module()
class TinyConvNet(BaseModule):
    """Stack of 3x3 conv-BN-ReLU layers; later layers dilate instead of striding.

    It plays the role of ResNet-50 (output stride 8, dilated last stages) in the real
    setting, at a size that fits the 64x128 embedded frames (output stride 4 by default).

    Args:
        in_channels: Input channels.
        widths: Output channels of each layer.
        strides: Stride of each layer.
        dilations: Dilation of each layer.
        out_indices: Layers whose outputs are returned (an auxiliary head can read an
            earlier one, as multi-level AdaptSegNet reads ResNet's stage 3).
        norm_cfg: Normalisation layer config.
    """

    def __init__(self,
                 in_channels: int = 3,
                 widths: Sequence[int] = (32, 32, 48, 48, 64, 64, 64),
                 strides: Sequence[int] = (2, 1, 2, 1, 1, 1, 1),
                 dilations: Sequence[int] = (1, 1, 1, 1, 1, 2, 4),
                 out_indices: Sequence[int] = (3, 6),
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg=dict(type='Kaiming', layer='Conv2d')):
        super().__init__(init_cfg=init_cfg)
        if not len(widths) == len(strides) == len(dilations):
            raise ValueError('TinyConvNet: widths, strides and dilations must have the same '
                             f'length, got {len(widths)}, {len(strides)}, {len(dilations)}')
        self.out_indices = tuple(out_indices)
        layers = []
        channels = in_channels
        for width, stride, dilation in zip(widths, strides, dilations):
            layers.append(ConvModule(channels, width, 3, stride=stride, padding=dilation,
                                     dilation=dilation, norm_cfg=norm_cfg))
            channels = width
        self.layers = nn.ModuleList(layers)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Args: x (N, 3, H, W). Returns: the feature maps of ``out_indices``."""
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
