"""Precomputing optical flow for every clip of a split, in one of three layouts (the generic clip
layout, VIPER, Cityscapes-VPS); ``tools/data/compute_flow.py`` is the command line
(docs/data.md, "Optical flow").

For every frame F it writes ``<out>/<clip>/<clip>_<FFFFF>_bw.npy`` (flow from F to F-1) and
``..._fw.npy`` (flow from F to F+1) as float16 (H, W, 2) at the frame's size, atomically, so an
interrupted run resumes where it stopped. The real-data layouts are listed by the runtime datasets
themselves (names, index files, where unannotated frames are), so flow and training see the same
clips.
"""
import re
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from uda_toolbox.datasets.cityscapes_vps import CityscapesVPSDataset, parse_image_name
from uda_toolbox.datasets.viper import VIPERDataset
from uda_toolbox.utils.io import write_npy_atomic

FRAME_RE = re.compile(r'^(?P<clip>.+)_(?P<frame>\d{5})$')
LAYOUTS = ('auto', 'clips', 'viper', 'cityscapes_vps')
ClipFrames = Dict[str, List[Tuple[int, Path]]]


def list_clip_frames(split_root: Path, ext: str = '.png') -> ClipFrames:
    """{clip id: [(frame index, image path), ...] sorted by index} for ``split_root/img``."""
    img_root = split_root / 'img'
    if not img_root.is_dir():
        raise FileNotFoundError(f'{img_root} does not exist: expected the clip layout '
                                '<split_root>/img/<clip>/<clip>_<FFFFF>.png (docs/data.md)')
    clips: ClipFrames = {}
    for clip_dir in sorted(p for p in img_root.iterdir() if p.is_dir()):
        frames = []
        for path in sorted(clip_dir.glob(f'*{ext}')):
            match = FRAME_RE.match(path.stem)
            if match is None or match['clip'] != clip_dir.name:
                raise ValueError(f'{path}: frame names must be <clip>_<FFFFF>{ext} '
                                 f'(clip {clip_dir.name!r})')
            frames.append((int(match['frame']), path))
        clips[clip_dir.name] = frames
    return clips


def dataset_clip_frames(dataset) -> ClipFrames:
    """The clips of a ``ClipDataset`` (any layout) as {clip id: [(frame index, path), ...]}."""
    return {clip: [(f['frame_idx'], Path(f['img_path'])) for f in dataset.clip_frames(clip)]
            for clip in dataset.clip_ids()}


def detect_layout(split_root: Path) -> str:
    """``'cityscapes_vps'`` if ``img/`` holds Cityscapes-VPS frame names, else ``'clips'``."""
    img_root = split_root / 'img'
    if img_root.is_dir() and any(parse_image_name(p.name) for p in img_root.iterdir()):
        return 'cityscapes_vps'
    return 'clips'


def list_frames(split_root: Path, layout: str = 'auto', ext: str = '.png',
                sequence_root: Optional[str] = None) -> ClipFrames:
    """Every frame of every clip of a split, in the given layout (module docstring)."""
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
    if layout == 'auto':
        layout = detect_layout(split_root)
    if layout == 'clips':
        return list_clip_frames(split_root, ext)
    # The datasets know their layout (names, index, where unannotated frames are): ask them for
    # the clips of a training split, unlabelled, every sequence.
    common = dict(data_root=str(split_root.parent), split=split_root.name, mode='train', tau=1)
    if layout == 'viper':
        dataset = VIPERDataset(labels=None, condition=None, **common)
    else:
        dataset = CityscapesVPSDataset(sequence_root=sequence_root, with_labels=False, **common)
    return dataset_clip_frames(dataset)


def flow_jobs(out_root: Path, clips: ClipFrames) -> List[Tuple[Path, Path, Path]]:
    """(frame path, neighbour path, output path) for every _bw/_fw flow of every clip."""
    jobs = []
    for clip, frames in clips.items():
        by_index = dict(frames)
        for index, path in frames:
            for suffix, other in (('bw', index - 1), ('fw', index + 1)):
                if other in by_index:
                    out = out_root / clip / f'{clip}_{index:05d}_{suffix}.npy'
                    jobs.append((path, by_index[other], out))
    return jobs


def compute_flows(split_root: Path, estimator: Callable[[np.ndarray, np.ndarray], np.ndarray],
                  overwrite: bool = False, ext: str = '.png', progress: bool = True,
                  layout: str = 'auto', sequence_root: Optional[str] = None,
                  out_root: Optional[Path] = None) -> Tuple[int, int]:
    """Write the missing flow files of a split. Returns (written, skipped)."""
    clips = list_frames(split_root, layout, ext, sequence_root)
    jobs = flow_jobs(split_root / 'flow' if out_root is None else Path(out_root), clips)
    todo = [job for job in jobs if overwrite or not job[2].is_file()]
    bar = ProgressBar(len(todo)) if progress and todo else None
    cache: Dict[Path, np.ndarray] = {}
    for frame_path, other_path, out in todo:
        frames = []
        for path in (frame_path, other_path):
            if path not in cache:
                if len(cache) > 8:  # jobs come clip by clip, frame by frame: a small cache suffices
                    cache.pop(next(iter(cache)))
                image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if image is None:
                    raise ValueError(f'{path}: not a readable image')
                cache[path] = image
            frames.append(cache[path])
        flow = estimator(frames[0], frames[1])
        write_npy_atomic(out, flow.astype(np.float16))
        if bar is not None:
            bar.update()
    return len(todo), len(jobs) - len(todo)
