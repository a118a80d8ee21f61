"""Preparation of VIPER for VIPER -> Cityscapes-Seq (``tools/data/viper_seq.py``): verify the frames
and ``cls`` labels the shipped list of every 10th frame needs, convert those labels to the
benchmark's 15 classes (``cityscapes_seq_labels/``), compute the toolbox's flow."""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from uda_toolbox.data_prep.common import check_frame_and_label, convert_label_file, convert_split
from uda_toolbox.data_prep.report import Report
from uda_toolbox.data_prep.snippets import SnippetSplit, compute_snippet_flows, verify_split
from uda_toolbox.data_prep.viper import read_viper_label, remove_ego_vehicle
from uda_toolbox.datasets.viper import VIPER_CLASSES
from uda_toolbox.datasets.viper_seq import (
    CONVERTED_LABEL_DIR,
    VIPER_NATIVE_SIZE,
    VIPERSeqDataset,
)
from uda_toolbox.registry import FLOW_ESTIMATORS
from uda_toolbox.utils.classes import VIPER_CITYSCAPES_SEQ_CLASSES, apply_label_map
from uda_toolbox.utils.errors import DataError

# VIPER class (classes.csv) -> class of the benchmark; DA-VSN davsn/dataset/Viper.py id_to_trainid
# (tree and vegetation both vegetation; no pole; every other id ignored).
VIPER_TO_CITYSCAPES_SEQ = {
    'road': 'road', 'sidewalk': 'sidewalk', 'building': 'building', 'fence': 'fence',
    'trafficlight': 'traffic light', 'trafficsign': 'traffic sign', 'tree': 'vegetation',
    'vegetation': 'vegetation', 'terrain': 'terrain', 'sky': 'sky', 'person': 'person',
    'car': 'car', 'truck': 'truck', 'bus': 'bus', 'motorcycle': 'motorcycle',
    'bicycle': 'bicycle',
}
RAW_LABEL_DIR = 'cls'
CONVERSION_FORMAT = 'uda_toolbox.viper_cityscapes_seq'
CONVERSION_VERSION = 1
VERIFY_OFFSETS = (-1, 0)  # the source frames the methods read: t and t-1
FLOW_SCALE = 2 / 3  # 1920x1080 -> 1280x720, the training input size
FRAMES_FIX = 'Re-extract it from the VIPER train img archive (playing-for-benchmarks.org).'
LABELS_FIX = 'Extract the VIPER train cls archive.'


def viper_seq_label_map() -> Dict[int, int]:
    """VIPER id -> train id of the benchmark's 15 classes (ids it does not list are ignored)."""
    return {viper_id: VIPER_CITYSCAPES_SEQ_CLASSES.index(VIPER_TO_CITYSCAPES_SEQ[name])
            for viper_id, name in enumerate(VIPER_CLASSES) if name in VIPER_TO_CITYSCAPES_SEQ}


def convert_viper_seq_ids(ids: np.ndarray, ignore_ego_vehicle: bool = True) -> np.ndarray:
    """VIPER ids (H, W) -> the benchmark's train ids (H, W) uint8, 255 ignored.

    The ego vehicle becomes "unlabeled" (0, hence 255) first, as DA-VSN's ``Viper.py`` does: the
    8-connected car component under pixel (H - 1, W // 2).
    """
    if ignore_ego_vehicle:
        ids = remove_ego_vehicle(ids)
    return apply_label_map(ids, viper_seq_label_map(), 'VIPER label')


def check_viper_seq_frame(task: Tuple[str, Optional[str]]) -> dict:
    """Verify worker: ``(frame path, cls label path or None)``."""
    img_path, label_path = task
    return check_frame_and_label(img_path, label_path, read_viper_label, 'VIPER', FRAMES_FIX)


def convert_viper_seq_file(task: Tuple[str, str, bool]) -> Tuple[str, Optional[str]]:
    """Convert worker: ``(src, dst, ignore_ego_vehicle)`` -> ``(dst, None | error)``."""
    src, dst, ego = task
    return convert_label_file(src, dst, lambda path: convert_viper_seq_ids(read_viper_label(path),
                                                                           ego))


def _dataset(root: str, split: str, split_list: Optional[str], frame_offsets: Sequence[int],
             lazy: bool) -> VIPERSeqDataset:
    return VIPERSeqDataset(data_root=root, split=split, labels=None, split_list=split_list,
                           frame_offsets=frame_offsets, lazy_init=lazy)


def _raw_label_path(root: str, split: str):
    def path(clip_id: str, frame: int) -> str:
        seq = clip_id.split('_')[0]
        return osp.join(root, split, RAW_LABEL_DIR, seq, f'{seq}_{frame:05d}.png')
    return path


def verify(root: str, split: str = 'train', workers: int = 1, every: int = 1,
           split_list: Optional[str] = None, frame_offsets: Sequence[int] = VERIFY_OFFSETS,
           expected_size: Optional[Tuple[int, int]] = VIPER_NATIVE_SIZE) -> Report:
    """Check the frames (t and t - 1) and ``cls`` labels of the listed VIPER frames."""
    report = Report()
    if not osp.isdir(root):
        report.error(f'VIPER root {root!r} does not exist. Download VIPER (playing-for-benchmarks'
                     '.org) and extract the train img and cls archives into it (docs/data.md).')
        return report
    spec = SnippetSplit(dataset=_dataset(root, split, split_list, frame_offsets, lazy=True),
                        split=split, shipped_name=f'viper_seq/{split}',
                        raw_label_path=_raw_label_path(root, split), worker=check_viper_seq_frame,
                        expected_size=expected_size,
                        fixes=dict(frames=FRAMES_FIX, labels=LABELS_FIX),
                        class_names=dict(enumerate(VIPER_CLASSES)))
    verify_split(report, spec, workers, every)
    return report


def conversion_settings(ignore_ego_vehicle: bool) -> dict:
    """What ``cityscapes_seq_labels/conversion.json`` records (a rerun must match it)."""
    return dict(format=CONVERSION_FORMAT, version=CONVERSION_VERSION,
                ignore_ego_vehicle=ignore_ego_vehicle, classes=list(VIPER_CITYSCAPES_SEQ_CLASSES),
                label_map={str(k): v for k, v in viper_seq_label_map().items()})


def convert(root: str, split: str = 'train', workers: int = 1, ignore_ego_vehicle: bool = True,
            overwrite: bool = False, split_list: Optional[str] = None) -> Report:
    """Convert the ``cls`` labels of the listed frames to ``<split>/cityscapes_seq_labels/``
    (resumable, atomic, settings checked: ``convert_split``)."""
    report = Report()
    try:
        dataset = _dataset(root, split, split_list, (0,), lazy=True)
        entries = dataset.entries()
    except DataError as exc:  # a missing, empty or malformed list
        report.error(str(exc))
        return report
    raw = _raw_label_path(root, split)
    out_root = osp.join(root, split, CONVERTED_LABEL_DIR)
    pairs = [(raw(clip_id, t), osp.join(out_root, dataset.label_relpath(clip_id, t)))
             for clip_id, t in entries]
    convert_split(report, split, pairs, out_root, conversion_settings(ignore_ego_vehicle),
                  convert_viper_seq_file, (ignore_ego_vehicle,), workers, overwrite,
                  desc=f'convert VIPER-Seq {split}')
    return report


def compute_flow(root: str, split: str = 'train', flow_root: Optional[str] = None,
                 frame_offsets: Sequence[int] = (-1, 0), scale: float = FLOW_SCALE,
                 estimator: Optional[dict] = None, overwrite: bool = False,
                 split_list: Optional[str] = None, progress=None) -> Tuple[int, int, str]:
    """Write the toolbox-format flow of the snippets (``flow_root`` default ``<root>/<split>/flow``,
    the layout of ``VIPERDataset``'s flow cache). Returns (written, kept, flow_root)."""
    flow_root = flow_root or osp.join(root, split, 'flow')
    estimate = FLOW_ESTIMATORS.build(estimator or dict(type='OpenCVDISFlow'))
    written, kept = compute_snippet_flows(_dataset(root, split, split_list, frame_offsets, False),
                                          flow_root, estimate, scale=scale, overwrite=overwrite,
                                          progress=progress)
    return written, kept, flow_root
