"""Pixel embedding head for contrastive losses (HCL, STPL)."""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from uda_toolbox.registry import MODELS


@MODELS.register_module()
class ProjectionHead(nn.Module):
    """1x1 conv, BatchNorm, ReLU, 1x1 conv, then L2 normalisation over channels.

    The two-layer pixel projection of HCL's code (``Proj_Head`` / ``MLP2d`` in
    ``hcl_target/model/deeplab_advent.py``: 1024 -> 2048 -> 128 on ResNet layer3) and of the
    pixel-contrast work STPL builds on (Wang et al., ICCV 2021, ContrastiveSeg ``convmlp``:
    dim -> dim -> 256). Both normalise the embeddings before their losses.

    Args:
        in_channels: Channels of the features it embeds.
        out_channels: Embedding size.
        channels: Hidden channels (None: ``in_channels``).
    """

    def __init__(self, in_channels: int, out_channels: int = 256, channels: Optional[int] = None):
        super().__init__()
        channels = channels or in_channels
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, channels, 1, bias=False), nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True), nn.Conv2d(channels, out_channels, 1))

    def forward(self, x: Tensor) -> Tensor:
        """(N, in_channels, h, w) -> unit-length embeddings (N, out_channels, h, w)."""
        return F.normalize(self.layers(x), dim=1)
