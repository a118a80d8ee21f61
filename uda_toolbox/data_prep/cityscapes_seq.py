"""Preparation of Cityscapes-Seq for the DA-VSN / TPS benchmarks (``tools/data/cityscapes_seq.py``).

Nothing to convert: the ``gtFine`` labelIds are mapped to the benchmark's classes while loading
(``uda_toolbox/datasets/cityscapes_seq.py``). ``verify`` checks what the split lists need;
``compute_flow`` writes the toolbox's flow files (VST's target clips).
"""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from uda_toolbox.data_prep.common import check_frame_and_label, decode_label, values_outside
from uda_toolbox.data_prep.report import Report
from uda_toolbox.data_prep.snippets import SnippetSplit, compute_snippet_flows, verify_split
from uda_toolbox.datasets.cityscapes_seq import (
    CITYSCAPES_LABEL_ID_NAMES,
    CITYSCAPES_NATIVE_SIZE,
    CITYSCAPES_NUM_LABEL_IDS,
    CityscapesSeqDataset,
    frame_name,
    split_clip_id,
)
from uda_toolbox.registry import FLOW_ESTIMATORS
from uda_toolbox.utils.errors import DataFormatError

SPLITS = ('train', 'val')
# What the methods read around a listed frame: TPS and DA-STC need t-2 of the target.
VERIFY_OFFSETS = (-2, -1, 0)
# Flow at the training input size (1024x512), as the originals stored theirs.
FLOW_SCALE = 0.5
FLOW_ROOT = 'flow'  # <data_root>/flow/<split>/<city>/<frame stem>_{bw,fw}.npy
FRAMES_FIX = ('Extract leftImg8bit_sequence_trainvaltest.zip (cityscapes-dataset.com) into the '
              'Cityscapes root.')
LABELS_FIX = 'Extract gtFine_trainvaltest.zip (cityscapes-dataset.com) into the Cityscapes root.'


def read_label_ids(path: str) -> np.ndarray:
    """A ``gtFine_labelIds`` PNG as (H, W) uint8 labelIds 0..33; DataError naming the file else."""
    ids = decode_label(path, 'Cityscapes gtFine label', LABELS_FIX)
    if ids.ndim != 2:
        raise DataFormatError(f'Cityscapes gtFine label {path!r} has shape {ids.shape}; labelIds '
                              'PNGs are single-channel (not *_color.png). ' + LABELS_FIX)
    bad = values_outside(ids, CITYSCAPES_NUM_LABEL_IDS)
    if bad:
        raise DataFormatError(f'Cityscapes gtFine label {path!r} has values {bad} outside the '
                              f'labelIds 0..{CITYSCAPES_NUM_LABEL_IDS - 1}: not a *_labelIds.png '
                              '(trainIds?) or corrupt. ' + LABELS_FIX)
    return ids.astype(np.uint8)


def check_cityscapes_seq_frame(task: Tuple[str, Optional[str]]) -> dict:
    """Verify worker: ``(frame path, gtFine labelIds path or None)``."""
    img_path, label_path = task
    return check_frame_and_label(img_path, label_path, read_label_ids, 'Cityscapes-Seq', FRAMES_FIX)


def split_spec(root: str, split: str, split_list: Optional[str] = None,
               frame_offsets: Sequence[int] = VERIFY_OFFSETS,
               expected_size: Optional[Tuple[int, int]] = CITYSCAPES_NATIVE_SIZE) -> SnippetSplit:
    """What ``verify`` checks for one split (``split_list`` None: the shipped list)."""
    dataset = CityscapesSeqDataset(data_root=root, split=split, split_list=split_list,
                                   frame_offsets=frame_offsets, with_labels=False, lazy_init=True)

    def label_path(clip_id: str, frame: int) -> str:
        city, seq, _ = split_clip_id(clip_id)
        return osp.join(root, 'gtFine', split, city, frame_name(city, seq, frame, 'gtFine_labelIds'))

    return SnippetSplit(dataset=dataset, split=split, shipped_name=f'cityscapes_seq/{split}',
                        raw_label_path=label_path, worker=check_cityscapes_seq_frame,
                        expected_size=expected_size,
                        fixes=dict(frames=FRAMES_FIX, labels=LABELS_FIX),
                        class_names=CITYSCAPES_LABEL_ID_NAMES)


def verify(root: str, splits: Optional[Sequence[str]] = None, workers: int = 1, every: int = 1,
           split_lists: Optional[Dict[str, str]] = None,
           frame_offsets: Sequence[int] = VERIFY_OFFSETS,
           expected_size: Optional[Tuple[int, int]] = CITYSCAPES_NATIVE_SIZE) -> Report:
    """Check a Cityscapes root for the Cityscapes-Seq benchmarks; the report is not printed.

    Args:
        root: Holds ``leftImg8bit_sequence/`` and ``gtFine/``.
        splits: Default both (``train``, ``val``).
        workers: Processes for the per-file checks.
        every: Check every n-th snippet.
        split_lists: ``{split: list file}`` instead of the shipped lists.
        frame_offsets: Frames around each listed frame that must exist.
        expected_size: (H, W) of every frame; None: any.
    """
    report = Report()
    if not osp.isdir(root):
        report.error(f'Cityscapes root {root!r} does not exist. {FRAMES_FIX} {LABELS_FIX}')
        return report
    for split in splits or SPLITS:
        verify_split(report, split_spec(root, split, (split_lists or {}).get(split), frame_offsets,
                                        expected_size), workers, every)
    return report


def compute_flow(root: str, split: str = 'train', flow_root: Optional[str] = None,
                 frame_offsets: Sequence[int] = (-1, 0), scale: float = FLOW_SCALE,
                 estimator: Optional[dict] = None, overwrite: bool = False,
                 split_list: Optional[str] = None, progress=None) -> Tuple[int, int, str]:
    """Write the toolbox-format flow of a split's snippets (``flow_root`` default
    ``<root>/flow/<split>``). Returns (written, kept, flow_root)."""
    flow_root = flow_root or osp.join(root, FLOW_ROOT, split)
    dataset = CityscapesSeqDataset(data_root=root, split=split, split_list=split_list,
                                   frame_offsets=frame_offsets, with_labels=False)
    estimate = FLOW_ESTIMATORS.build(estimator or dict(type='OpenCVDISFlow'))
    written, kept = compute_snippet_flows(dataset, flow_root, estimate, scale=scale,
                                          overwrite=overwrite, progress=progress)
    return written, kept, flow_root
