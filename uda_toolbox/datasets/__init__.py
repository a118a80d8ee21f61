"""Runtime data: what a training run imports (clip datasets, the real-data datasets, clip
transforms). Offline preparation and the embedded pair's generator live in uda_toolbox.data_prep,
which this package never imports."""
from .cityscapes_seq import CityscapesSeqDataset
from .cityscapes_vps import CityscapesVPSDataset
from .clip_dataset import ClipDataset
from .synthia_seq import SynthiaSeqDataset
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
from .video_benchmark_transforms import ClipCropMargins, LoadResizedClipFlow
from .viper import VIPERDataset
from .viper_seq import VIPERSeqDataset

__all__ = [
    'ClipDataset', 'UDADataset', 'LoadClipFrames', 'LoadClipAnnotations', 'LoadClipFlow',
    'LoadClipSoftLabels', 'ClipResize', 'ClipRandomResize', 'ClipRandomCrop', 'ClipRandomFlip',
    'ClipPhotoMetricDistortion', 'PackClipInputs', 'PackFrameInputs', 'VIPERDataset',
    'CityscapesVPSDataset',
    # Cityscapes-Seq benchmarks (DA-VSN / TPS protocol)
    'CityscapesSeqDataset', 'VIPERSeqDataset', 'SynthiaSeqDataset', 'ClipCropMargins',
    'LoadResizedClipFlow',
]
