"""Frame normalisation shared by the data preprocessor, the pseudo-label rounds and the adaptors.

One pair of functions, so that a frame reaches the model the same way in training (the clip
data preprocessor), in a pseudo-label round (frames read from disk) and back to pixel values
(VST's fill-in occlusion test): optional BGR -> RGB swap, then ``(x - mean) / std``.
"""
from typing import Optional, Sequence, Union

import torch
from torch import Tensor

Stats = Optional[Union[Tensor, Sequence[float]]]


def _channel_view(stats: Union[Tensor, Sequence[float]], like: Tensor, channel_dim: int) -> Tensor:
    """``stats`` (C,) as a tensor that broadcasts over ``like`` along ``channel_dim``."""
    stats = torch.as_tensor(stats, dtype=like.dtype, device=like.device).reshape(-1)
    shape = [1] * like.dim()
    shape[channel_dim] = stats.numel()
    return stats.view(shape)


def normalize(frames: Tensor, mean: Stats = None, std: Stats = None, bgr_to_rgb: bool = False,
              channel_dim: int = -3) -> Tensor:
    """Frames (..., 3, H, W) in [0, 255] -> the model's input: channel swap, then (x - mean) / std.

    Args:
        frames: Float frames, channels at ``channel_dim``.
        mean, std: Per-channel statistics (None: no normalisation, as mmseg without mean/std).
        bgr_to_rgb: Reverse the channel order first (mmseg's ``bgr_to_rgb``).
        channel_dim: The channel axis (-3 for (..., C, H, W)).
    """
    if bgr_to_rgb:
        frames = frames.flip(channel_dim) if frames.shape[channel_dim] == 3 else frames
    if mean is None or std is None:
        return frames
    return (frames - _channel_view(mean, frames, channel_dim)) / _channel_view(std, frames,
                                                                               channel_dim)


def denormalize(inputs: Tensor, mean: Stats = None, std: Stats = None,
                channel_dim: int = -3) -> Tensor:
    """The inverse of :func:`normalize` without the channel swap: ``x * std + mean``."""
    if mean is None or std is None:
        return inputs
    return inputs * _channel_view(std, inputs, channel_dim) + _channel_view(mean, inputs,
                                                                            channel_dim)


def preprocessor_stats(preprocessor) -> dict:
    """The normalisation of an mmseg data preprocessor as :func:`normalize`'s keyword arguments.

    Reads its public buffers (``mean``, ``std``) and ``channel_conversion``; a preprocessor built
    without mean/std has no such buffers and normalises nothing.
    """
    return dict(mean=getattr(preprocessor, 'mean', None), std=getattr(preprocessor, 'std', None),
                bgr_to_rgb=bool(getattr(preprocessor, 'channel_conversion', False)))
