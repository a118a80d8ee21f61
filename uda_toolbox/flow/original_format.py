"""Flow files in DA-VSN / TPS's format, computed locally (their FlowNet2 downloads are gone).

The originals read precomputed ``.npy`` files (research/peers_davsn_tps.md section 4): int16
(H, W, 2) holding ``trunc(flow * 10)``, the flow from frame t to frame t-1 on the frame-t grid
(``I_t(p) ~ I_{t-1}(p + flow(p))``), at a reduced resolution (Cityscapes 512x1024, VIPER
576x1024), flat in one directory per split and named by :func:`original_flow_name`. This module
lists the frames of a directory tree, pairs each frame t with frame t-1 (and, for TPS's
pseudo-label pair, t-1 with t-2), and writes that flow with one of the toolbox's OpenCV
estimators, whose convention ``frame_a(p) ~ frame_b(p + flow(p))`` is the originals' with
a = t, b = t-1. Script: ``tools/data/write_original_flow.py``.
"""
import os
import os.path as osp
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from uda_toolbox.utils.errors import DataNotFoundError
from uda_toolbox.utils.flow_io import (
    original_flow_name,
    parse_original_frame_name,
    write_original_flow,
)
from uda_toolbox.utils.io import load_frame

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg')
# A frame is found by (naming key, frame number): its sequence, and the directory it lies in.
FrameIndex = Dict[Tuple[str, ...], Dict[int, str]]
FlowJob = Tuple[str, str, str]  # (frame t, frame t-1, output file name)


def index_frames(root: str, naming: str) -> FrameIndex:
    """Every image under ``root`` (recursively) whose name fits ``naming``, by sequence and number.

    The sequence key is the directory plus the naming's sequence fields (city and sequence for
    Cityscapes, the 3-digit sequence for VIPER), so frame t-1 is looked up beside frame t.
    """
    if not osp.isdir(root):
        raise DataNotFoundError(f'{root}: the frame directory does not exist')
    index: FrameIndex = {}
    for directory, _, names in os.walk(root):
        for name in sorted(names):
            if name.startswith('.') or not name.lower().endswith(IMAGE_SUFFIXES):
                continue
            fields = parse_original_frame_name(naming, name)
            if fields is None:
                continue
            key = (directory, fields.get('city', ''), fields.get('seq', ''))
            index.setdefault(key, {})[fields['frame']] = osp.join(directory, name)
    if not index:
        raise DataNotFoundError(
            f'{root}: no frame named as the {naming!r} naming expects (e.g. '
            + dict(cityscapes='aachen_000000_000019_leftImg8bit.png', viper='001/001_00010.jpg',
                   synthia='000001.png')[naming] + ')')
    return index


def flow_jobs(index: FrameIndex, naming: str, pairs: int = 1,
              only: Optional[Iterable[str]] = None) -> List[FlowJob]:
    """The (t, t-1) pairs to compute: for every frame t with a frame t-1 beside it, and with
    ``pairs=2`` also (t-1, t-2) (TPS's pseudo-label pair).

    Args:
        index: :func:`index_frames`.
        naming: The naming scheme (for the output names).
        pairs: 1 or 2 consecutive pairs ending at each frame t.
        only: File names of the frames t to use (e.g. the originals' split list); None: all.
    """
    if pairs not in (1, 2):
        raise ValueError(f'pairs must be 1 or 2, got {pairs!r}')
    wanted = None if only is None else {osp.basename(name.strip()) for name in only if name.strip()}
    jobs: Dict[str, FlowJob] = {}
    for frames in index.values():
        for number, path in sorted(frames.items()):
            if wanted is not None and osp.basename(path) not in wanted:
                continue
            for k in range(pairs):
                current, previous = frames.get(number - k), frames.get(number - k - 1)
                if current is None or previous is None:
                    break
                name = original_flow_name(naming, current, previous)
                jobs.setdefault(name, (current, previous, name))
    return sorted(jobs.values(), key=lambda job: job[2])


def resize_for_flow(frame: np.ndarray, height: Optional[int]) -> np.ndarray:
    """Resize a frame to ``height`` rows, keeping the aspect ratio (bicubic, as the originals'
    flow scripts); None keeps it."""
    if height is None or frame.shape[0] == height:
        return frame
    width = int(round(frame.shape[1] * height / frame.shape[0]))
    return cv2.resize(frame, (width, int(height)), interpolation=cv2.INTER_CUBIC)


def compute_original_flow(frame_t: np.ndarray, frame_prev: np.ndarray,
                          estimator: Callable[[np.ndarray, np.ndarray], np.ndarray],
                          height: Optional[int] = None) -> np.ndarray:
    """Flow (h, w, 2) float32 from frame t to frame t-1 on the frame-t grid, at ``height`` rows.

    ``estimator(a, b)`` follows the toolbox's convention ``a(p) ~ b(p + flow(p))``
    (``uda_toolbox.flow.estimators``), which is the originals' reconstruction flow for
    a = frame t, b = frame t-1.
    """
    return estimator(resize_for_flow(frame_t, height), resize_for_flow(frame_prev, height))


def write_original_flows(jobs: Sequence[FlowJob], out_dir: str,
                         estimator: Callable[[np.ndarray, np.ndarray], np.ndarray],
                         height: Optional[int] = None, overwrite: bool = False,
                         progress: Optional[Callable[[], None]] = None) -> Tuple[int, int]:
    """Compute and write every job (atomically); existing files are kept unless ``overwrite``.

    Returns:
        (written, skipped) file counts.
    """
    os.makedirs(out_dir, exist_ok=True)
    written = skipped = 0
    for current, previous, name in jobs:
        path = osp.join(out_dir, name)
        if osp.exists(path) and not overwrite:
            skipped += 1
        else:
            flow = compute_original_flow(load_frame(current), load_frame(previous), estimator, height)
            write_original_flow(path, flow)
            written += 1
        if progress is not None:
            progress()
    return written, skipped
