"""Domain discriminators of the adversarial adaptors (AdaptSegNet, ADVENT, VAT).

Both return raw logits (no sigmoid): the GAN losses in ``losses.py`` apply the
sigmoid (vanilla GAN) or compare the logits directly (least squares).
"""
from typing import Sequence

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from uda_toolbox.registry import MODELS


def _strided_convs(in_channels: int, widths: Sequence[int], negative_slope: float) -> nn.Sequential:
    """4x4 convolutions of stride 2 through ``widths``, each followed by a LeakyReLU, then a
    4x4 stride-2 classifier to one channel (the discriminator of AdaptSegNet Sec. 3.1 / ADVENT)."""
    layers = []
    channels = in_channels
    for width in widths:
        layers += [nn.Conv2d(channels, width, 4, stride=2, padding=1),
                   nn.LeakyReLU(negative_slope, inplace=True)]
        channels = width
    layers.append(nn.Conv2d(channels, 1, 4, stride=2, padding=1))
    return nn.Sequential(*layers)


def _check_widths(widths: Sequence[int], name: str) -> None:
    if len(widths) < 1 or any(int(w) <= 0 for w in widths):
        raise ValueError(f'{name}: widths must be one or more positive channel counts, got {widths}')


@MODELS.register_module()
class FCDiscriminator(BaseModule):
    """Fully-convolutional image discriminator D_I (Shin et al. (2021) Eq. 1; AdaptSegNet, ADVENT).

    Five 4x4 convolutions of stride 2 (``widths`` then 1 channel) with LeakyReLU(0.2)
    between them and no normalisation, as in AdaptSegNet and ADVENT; the output is a map of
    per-patch domain logits, 1/32 of the input size.

    Args:
        in_channels: Channels of the input map (the number of classes: softmax maps for
            AdaptSegNet, self-information maps for ADVENT). Adaptors fill it in.
        widths: Channels of the four hidden convolutions (64-128-256-512 in the papers).
        negative_slope: Slope of the LeakyReLU.
        init_cfg: Initialisation config (the originals keep PyTorch's default init).
    """

    #: Takes one map per frame, (N, C, H, W); adaptors use it to shape their inputs.
    takes_clips = False

    def __init__(self, in_channels: int, widths: Sequence[int] = (64, 128, 256, 512),
                 negative_slope: float = 0.2, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        _check_widths(widths, type(self).__name__)
        self.first = nn.Conv2d(in_channels, widths[0], 4, stride=2, padding=1)
        self.act = nn.LeakyReLU(negative_slope, inplace=True)
        self.body = _strided_convs(widths[0], widths[1:], negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (N, C, H, W). Returns: domain logits (N, 1, H/32, W/32)."""
        if x.dim() != 4:
            raise ValueError(f'{type(self).__name__} takes (N, C, H, W) maps, got shape '
                             f'{tuple(x.shape)}; for clips use SequenceDiscriminator')
        return self.body(self.act(self.first(x)))


@MODELS.register_module()
class SequenceDiscriminator(BaseModule):
    """Sequence discriminator D_V of VAT (Shin et al. (2021) Eq. 8, Sec. 5.1).

    The image discriminator whose first 2D convolution is replaced by a 3D convolution of
    temporal stride 2, so it scores the stacked soft-segmentation maps of frames t and
    t - tau as one sample. The kernel spans ``temporal_kernel`` frames (2 by default, so a
    two-frame clip becomes one time step); the remaining 2D layers run on every output time
    step.

    Args:
        in_channels: Channels of each frame's map (the number of classes).
        widths: Channels of the four hidden convolutions (64-128-256-512 as D_I).
        temporal_kernel: Frames covered by the first (3D) convolution.
        temporal_stride: Its temporal stride (2 in Shin et al. (2021)).
        negative_slope: Slope of the LeakyReLU.
        init_cfg: Initialisation config.
    """

    #: Takes stacked clips, (N, C, T, H, W).
    takes_clips = True

    def __init__(self, in_channels: int, widths: Sequence[int] = (64, 128, 256, 512),
                 temporal_kernel: int = 2, temporal_stride: int = 2,
                 negative_slope: float = 0.2, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        _check_widths(widths, type(self).__name__)
        self.temporal_kernel = temporal_kernel
        self.first = nn.Conv3d(in_channels, widths[0], (temporal_kernel, 4, 4),
                               stride=(temporal_stride, 2, 2), padding=(0, 1, 1))
        self.act = nn.LeakyReLU(negative_slope, inplace=True)
        self.body = _strided_convs(widths[0], widths[1:], negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (N, C, T, H, W) with T >= temporal_kernel.
        Returns: domain logits (N, 1, T', H/32, W/32), T' = (T - temporal_kernel) // stride + 1.
        """
        if x.dim() != 5 or x.shape[2] < self.temporal_kernel:
            raise ValueError(f'{type(self).__name__} takes (N, C, T, H, W) clips with T >= '
                             f'{self.temporal_kernel}, got shape {tuple(x.shape)}')
        x = self.act(self.first(x))
        n, t = x.shape[0], x.shape[2]
        x = self.body(x.transpose(1, 2).flatten(0, 1))  # every time step through the 2D layers
        return x.unflatten(0, (n, t)).transpose(1, 2)
