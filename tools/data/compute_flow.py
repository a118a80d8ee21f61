"""Precompute optical flow for every clip of a split (docs/data.md, "Optical flow").

Reads the frames of one split in one of three layouts (``--layout``):

- ``clips``: the generic clip layout of the embedded pair, ``<split_root>/img/<clip>/<clip>_<FFFFF><ext>``.
- ``viper``: a VIPER split, ``<split_root>/img/SSS/SSS_FFFFF.jpg`` (or ``.png``), listed by
  ``VIPERDataset`` (every sequence, whatever its condition; ``index.json`` if present).
- ``cityscapes_vps``: a Cityscapes-VPS split: the annotated frames of the flat ``<split_root>/img/``
  and the other frames of each 30-frame clip from ``<split_root>/img_all/`` or ``--sequence-root``
  (Cityscapes ``leftImg8bit_sequence/val``), listed by ``CityscapesVPSDataset``; the frame index is
  the position 0..29 in the clip and the clip id is ``VVVV``.

``auto`` (the default) picks ``cityscapes_vps`` when ``img/`` holds Cityscapes-VPS frame names,
else ``clips``. For every frame F it writes ``<out>/<clip>/<clip>_<FFFFF>_bw.npy`` (flow from F to
F-1) and ``..._fw.npy`` (flow from F to F+1) as float16 (H, W, 2) at the frame's size; ``<out>``
defaults to ``<split_root>/flow``, where the datasets' ``flow_root='<split>/flow'`` looks. The
first frame of a clip has no ``_bw`` and the last no ``_fw``. Existing files are kept unless
``--overwrite``; every file is written atomically, so an interrupted run resumes where it stopped.

Examples (from the repository root, no installation needed)::

    python tools/data/compute_flow.py data/synthetic/target/train
    python tools/data/compute_flow.py data/cityscapes_vps/train \\
        --sequence-root data/cityscapes/leftImg8bit_sequence/val --preset medium
    python tools/data/compute_flow.py data/viper/train --layout viper
"""
import argparse
import re
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

try:
    import uda_toolbox  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

from uda_toolbox.datasets.cityscapes_vps import CityscapesVPSDataset, parse_image_name  # noqa: E402
from uda_toolbox.utils.errors import DataError  # noqa: E402
from uda_toolbox.datasets.viper import VIPERDataset  # noqa: E402
from uda_toolbox.registry import FLOW_ESTIMATORS  # noqa: E402
from uda_toolbox.utils.io import write_npy_atomic  # noqa: E402

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


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('split_root', help='one split: holds img/ (e.g. data/cityscapes_vps/train)')
    p.add_argument('--layout', choices=LAYOUTS, default='auto',
                   help='tree layout (default: %(default)s; see the module docstring)')
    p.add_argument('--sequence-root', default=None,
                   help='cityscapes_vps: Cityscapes leftImg8bit_sequence/val, for the unannotated '
                        'frames of a split without img_all/ (train)')
    p.add_argument('--out', default=None, help='output root (default: <split_root>/flow)')
    p.add_argument('--estimator', default='OpenCVDISFlow',
                   help='a FLOW_ESTIMATORS type (default: %(default)s; also FarnebackFlow)')
    p.add_argument('--preset', default=None,
                   help="OpenCVDISFlow preset: ultrafast, fast or medium (default: medium)")
    p.add_argument('--ext', default='.png',
                   help='clips layout: frame file extension (default: %(default)s)')
    p.add_argument('--overwrite', action='store_true', help='recompute existing flow files')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    return p.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    cfg = dict(type=args.estimator)
    if args.preset is not None:
        cfg['preset'] = args.preset
    estimator = FLOW_ESTIMATORS.build(cfg)
    start = time.perf_counter()
    try:
        written, skipped = compute_flows(
            Path(args.split_root), estimator, overwrite=args.overwrite, ext=args.ext,
            progress=not args.no_progress, layout=args.layout, sequence_root=args.sequence_root,
            out_root=None if args.out is None else Path(args.out))
    except DataError as exc:  # the dataset's message names the path and the fix
        raise SystemExit(f'error: {exc}') from None
    print(f'\n[compute_flow] {args.split_root}: wrote {written} flow files, kept {skipped} '
          f'existing, in {time.perf_counter() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
