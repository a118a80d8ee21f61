"""Runtime data: what a training run imports (clip datasets, the real-data datasets, clip
transforms). Offline preparation and the embedded pair's generator live in uda_toolbox.data_prep,
which this package never imports."""
from .cityscapes_vps import CityscapesVPSDataset
from .clip_dataset import ClipDataset
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
    'ClipDataset', 'UDADataset', 'LoadClipFrames', 'LoadClipAnnotations', 'LoadClipFlow',
    'ClipResize', 'ClipRandomResize', 'ClipRandomCrop', 'ClipRandomFlip',
    'ClipPhotoMetricDistortion', 'PackClipInputs', 'PackFrameInputs', 'VIPERDataset',
    'CityscapesVPSDataset',
]
