"""Datasets and clip transforms."""
from .cityscapes_vps import CityscapesVPSDataset
from .clip_dataset import ClipDataset
from .synthetic import ensure_synthetic_pair, generate_synthetic_pair
from .transforms import (
    ClipPhotoMetricDistortion,
    ClipRandomCrop,
    ClipRandomFlip,
    ClipRandomResize,
    ClipResize,
    LoadClipAnnotations,
    LoadClipFlow,
    LoadClipFrames,
    LoadClipSoftLabels,
    PackClipInputs,
    PackFrameInputs,
)
from .uda_dataset import UDADataset
from .viper import VIPERDataset

__all__ = [
    'ClipDataset', 'UDADataset', 'LoadClipFrames', 'LoadClipAnnotations', 'LoadClipFlow',
    'LoadClipSoftLabels', 'ClipResize', 'ClipRandomResize', 'ClipRandomCrop', 'ClipRandomFlip',
    'ClipPhotoMetricDistortion', 'PackClipInputs', 'PackFrameInputs', 'ensure_synthetic_pair',
    'generate_synthetic_pair', 'VIPERDataset', 'CityscapesVPSDataset',
]
