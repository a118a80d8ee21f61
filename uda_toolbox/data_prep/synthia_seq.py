"""Preparation of SYNTHIA-Seq (SEQS-04-DAWN) for SYNTHIA-Seq -> Cityscapes-Seq
(``tools/data/synthia_seq.py``): verify, convert the multi-channel labels to the benchmark's 12
classes (``cityscapes_seq_labels/``), compute the toolbox's flow on the cut frames."""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

from uda_toolbox.data_prep.common import (
    check_frame_and_label,
    convert_label_file,
    convert_split,
    values_outside,
)
from uda_toolbox.data_prep.report import Report
from uda_toolbox.data_prep.snippets import SnippetSplit, compute_snippet_flows, verify_split
from uda_toolbox.datasets.synthia_seq import (
    CONVERTED_LABEL_DIR,
    RELEASE_LABEL_DIR,
    SYNTHIA_SEQ_BOTTOM_CROP,
    SYNTHIA_SEQ_NATIVE_SIZE,
    SynthiaSeqDataset,
)
from uda_toolbox.registry import FLOW_ESTIMATORS
from uda_toolbox.utils.classes import SYNTHIA_CITYSCAPES_SEQ_CLASSES, apply_label_map
from uda_toolbox.utils.errors import DataError, DataFormatError, DataNotFoundError
from uda_toolbox.utils.io import check_not_truncated, read_bytes

# Class ids of the SYNTHIA video sequences (README of SEQS-04-DAWN; 13 and 14 are reserved).
SYNTHIA_CLASSES = ('void', 'sky', 'building', 'road', 'sidewalk', 'fence', 'vegetation', 'pole',
                   'car', 'traffic sign', 'pedestrian', 'bicycle', 'lanemarking', 'reserved',
                   'reserved', 'traffic light')
# SYNTHIA class -> class of the benchmark (DA-VSN davsn/dataset/SynthiaSeq.py id_to_trainid).
# SYNTHIA's "bicycle" (id 11) is trained as Cityscapes' rider, as DA-VSN / TPS do (UnifiedVideoDA
# maps it to bicycle instead); lanemarking (12) is ignored, not merged into road.
SYNTHIA_TO_CITYSCAPES_SEQ = {
    'road': 'road', 'sidewalk': 'sidewalk', 'building': 'building', 'fence': 'fence',
    'pole': 'pole', 'traffic light': 'traffic light', 'traffic sign': 'traffic sign',
    'vegetation': 'vegetation', 'sky': 'sky', 'pedestrian': 'person', 'bicycle': 'rider',
    'car': 'car',
}
CONVERSION_FORMAT = 'uda_toolbox.synthia_cityscapes_seq'
CONVERSION_VERSION = 1
VERIFY_OFFSETS = (-1, 0)
FLOW_SCALE = 1.0  # the cut frames (1280x640) are the training input size
FLOW_ROOT = 'flow'
FRAMES_FIX = ('Re-extract SEQS-04-DAWN (synthia-dataset.net): the frames are '
              'RGB/Stereo_Left/Omni_F/NNNNNN.png.')
LABELS_FIX = ('Re-extract SEQS-04-DAWN: the labels are GT/LABELS/Stereo_Left/Omni_F/NNNNNN.png '
              '(multi-channel PNGs, class id in the first channel).')


def synthia_seq_label_map() -> Dict[int, int]:
    """SYNTHIA id -> train id of the benchmark's 12 classes (others are ignored)."""
    return {synthia_id: SYNTHIA_CITYSCAPES_SEQ_CLASSES.index(SYNTHIA_TO_CITYSCAPES_SEQ[name])
            for synthia_id, name in enumerate(SYNTHIA_CLASSES) if name in SYNTHIA_TO_CITYSCAPES_SEQ}


def read_synthia_label(path: str) -> np.ndarray:
    """A SYNTHIA ``GT/LABELS`` PNG as (H, W) class ids 0..15.

    The class id is the first channel (R) of a multi-channel, presumably 16-bit PNG, the second
    the instance id (SEQS README). DA-VSN reads it with FreeImage (``[:, :, 0]``); Pillow reads
    such files wrongly, so OpenCV decodes them (``IMREAD_UNCHANGED``, channels in B, G, R(, A)
    order: R is channel 2). 8-bit files and single-channel id maps are read too.
    """
    try:
        data = read_bytes(path, 'SYNTHIA-Seq label')
        check_not_truncated(data, path, 'SYNTHIA-Seq label')
    except FileNotFoundError as exc:
        raise DataNotFoundError(f'{exc} {LABELS_FIX}') from None
    except OSError as exc:  # empty or truncated
        raise DataFormatError(f'{exc} {LABELS_FIX}') from None
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None:
        raise DataFormatError(f'SYNTHIA-Seq label {path!r} cannot be decoded. {LABELS_FIX}')
    if decoded.ndim == 3 and decoded.shape[2] >= 3:
        ids = decoded[..., 2]
    elif decoded.ndim == 2:
        ids = decoded
    else:
        raise DataFormatError(f'SYNTHIA-Seq label {path!r} has shape {decoded.shape}; expected an '
                              f'RGB(A) PNG with the class id in R. {LABELS_FIX}')
    bad = values_outside(ids, len(SYNTHIA_CLASSES))
    if bad:
        raise DataFormatError(f'SYNTHIA-Seq label {path!r} has class ids {bad} outside '
                              f'0..{len(SYNTHIA_CLASSES) - 1}: not a GT/LABELS file (GT/COLOR? '
                              f'GT/DEPTH?) or corrupt. {LABELS_FIX}')
    return ids.astype(np.uint8)


def convert_synthia_seq_ids(ids: np.ndarray) -> np.ndarray:
    """SYNTHIA ids (H, W) -> the benchmark's train ids (H, W) uint8, 255 ignored."""
    return apply_label_map(ids, synthia_seq_label_map(), 'SYNTHIA-Seq label')


def check_synthia_seq_frame(task: Tuple[str, Optional[str]]) -> dict:
    """Verify worker: ``(frame path, GT/LABELS path or None)``."""
    img_path, label_path = task
    return check_frame_and_label(img_path, label_path, read_synthia_label, 'SYNTHIA-Seq',
                                 FRAMES_FIX)


def convert_synthia_seq_file(task: Tuple[str, str]) -> Tuple[str, Optional[str]]:
    """Convert worker: ``(src, dst)`` -> ``(dst, None | error)``."""
    src, dst = task
    return convert_label_file(src, dst, lambda path: convert_synthia_seq_ids(read_synthia_label(path)))


def _dataset(root: str, split_list: Optional[str], frame_offsets: Sequence[int], img_dir: Optional[str],
             lazy: bool) -> SynthiaSeqDataset:
    return SynthiaSeqDataset(data_root=root, img_dir=img_dir, labels=None, split_list=split_list,
                             frame_offsets=frame_offsets, lazy_init=lazy)


def verify(root: str, workers: int = 1, every: int = 1, split_list: Optional[str] = None,
           frame_offsets: Sequence[int] = VERIFY_OFFSETS, img_dir: Optional[str] = None,
           label_dir: str = RELEASE_LABEL_DIR,
           expected_size: Optional[Tuple[int, int]] = SYNTHIA_SEQ_NATIVE_SIZE) -> Report:
    """Check the frames (t and t - 1) and raw labels of the listed SYNTHIA-Seq frames.

    Args:
        root: The ``SEQS-04-DAWN`` directory.
        label_dir: Raw labels relative to ``root`` (``label`` for DA-VSN's copies).
    """
    report = Report()
    if not osp.isdir(root):
        report.error(f'SYNTHIA-Seq root {root!r} does not exist. Download SYNTHIA-SEQS-04-DAWN '
                     '(synthia-dataset.net) and extract it (docs/data.md).')
        return report
    spec = SnippetSplit(
        dataset=_dataset(root, split_list, frame_offsets, img_dir, lazy=True), split='train',
        shipped_name='synthia_seq/train',
        raw_label_path=lambda clip_id, frame: osp.join(root, label_dir, f'{frame:06d}.png'),
        worker=check_synthia_seq_frame, expected_size=expected_size,
        fixes=dict(frames=FRAMES_FIX, labels=LABELS_FIX), class_names=dict(enumerate(SYNTHIA_CLASSES)))
    verify_split(report, spec, workers, every)
    return report


def conversion_settings() -> dict:
    """What ``cityscapes_seq_labels/conversion.json`` records (a rerun must match it)."""
    return dict(format=CONVERSION_FORMAT, version=CONVERSION_VERSION,
                classes=list(SYNTHIA_CITYSCAPES_SEQ_CLASSES),
                label_map={str(k): v for k, v in synthia_seq_label_map().items()})


def convert(root: str, workers: int = 1, overwrite: bool = False, split_list: Optional[str] = None,
            label_dir: str = RELEASE_LABEL_DIR) -> Report:
    """Convert the raw labels of every frame a snippet labels (the listed frames) to
    ``<root>/cityscapes_seq_labels/`` (full 1280x760: the pipeline cuts the bottom rows)."""
    report = Report()
    try:
        dataset = _dataset(root, split_list, (0,), None, lazy=True)
        entries = dataset.entries()
    except DataError as exc:  # a missing, empty or malformed list
        report.error(str(exc))
        return report
    out_root = osp.join(root, CONVERTED_LABEL_DIR)
    pairs = [(osp.join(root, label_dir, dataset.label_relpath(clip_id, t)),
              osp.join(out_root, dataset.label_relpath(clip_id, t))) for clip_id, t in entries]
    convert_split(report, 'train', pairs, out_root, conversion_settings(), convert_synthia_seq_file,
                  (), workers, overwrite, desc='convert SYNTHIA-Seq')
    return report


def compute_flow(root: str, flow_root: Optional[str] = None, frame_offsets: Sequence[int] = (-1, 0),
                 scale: float = FLOW_SCALE, estimator: Optional[dict] = None, overwrite: bool = False,
                 split_list: Optional[str] = None, img_dir: Optional[str] = None,
                 crop_bottom: int = SYNTHIA_SEQ_BOTTOM_CROP, progress=None) -> Tuple[int, int, str]:
    """Write the toolbox-format flow of the snippets on the frames without their bottom
    ``crop_bottom`` rows (120, as the originals' flow and the pipeline's ``ClipCropMargins``);
    ``flow_root`` default ``<root>/flow``. Returns (written, kept, flow_root)."""
    flow_root = flow_root or osp.join(root, FLOW_ROOT)
    estimate = FLOW_ESTIMATORS.build(estimator or dict(type='OpenCVDISFlow'))
    written, kept = compute_snippet_flows(_dataset(root, split_list, frame_offsets, img_dir, False),
                                          flow_root, estimate, scale=scale,
                                          crop_bottom=crop_bottom, overwrite=overwrite,
                                          progress=progress)
    return written, kept, flow_root
