"""Datasets and clip transforms."""
from . import classes
from .cityscapes_vps import CityscapesVPSDataset
from .classes import IGNORE_INDEX, VIDEO_UDA_CLASSES, VIDEO_UDA_METAINFO, VIDEO_UDA_PALETTE
from .clip_dataset import ClipDataset
from .errors import DataError, DataFormatError, DataNotFoundError
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
    PackClipInputs,
    PackFrameInputs,
)
from .uda_dataset import UDADataset
from .viper import VIPERDataset

__all__ = [
    'classes', 'IGNORE_INDEX', 'VIDEO_UDA_CLASSES', 'VIDEO_UDA_METAINFO', 'VIDEO_UDA_PALETTE',
    'ClipDataset', 'UDADataset', 'LoadClipFrames', 'LoadClipAnnotations', 'LoadClipFlow',
    'ClipResize', 'ClipRandomResize', 'ClipRandomCrop', 'ClipRandomFlip',
    'ClipPhotoMetricDistortion', 'PackClipInputs', 'PackFrameInputs', 'ensure_synthetic_pair',
    'generate_synthetic_pair', 'VIPERDataset', 'CityscapesVPSDataset', 'DataError',
    'DataFormatError', 'DataNotFoundError',
]
