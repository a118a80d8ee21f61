"""Precompute optical flow for every clip of a clip-layout split (docs/data.md, "Optical flow").

Reads ``<split_root>/img/<clip>/<clip>_<FFFFF>.png`` and writes, for every frame F,
``<split_root>/flow/<clip>/<clip>_<FFFFF>_bw.npy`` (flow from F to F-1) and ``..._fw.npy``
(flow from F to F+1) as float16 (H, W, 2). The first frame has no ``_bw`` and the last no
``_fw``. Existing files are kept unless ``--overwrite``; every file is written atomically, so an
interrupted run resumes where it stopped.

Example (from the repository root, no installation needed)::

    python tools/data/compute_flow.py data/cityscapes_vps/train --estimator OpenCVDISFlow --preset medium
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

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from uda_toolbox.registry import FLOW_ESTIMATORS
from uda_toolbox.utils.io import write_npy_atomic

FRAME_RE = re.compile(r'^(?P<clip>.+)_(?P<frame>\d{5})$')


def list_clip_frames(split_root: Path, ext: str = '.png') -> Dict[str, List[Tuple[int, Path]]]:
    """{clip id: [(frame index, image path), ...] sorted by index} for ``split_root/img``."""
    img_root = split_root / 'img'
    if not img_root.is_dir():
        raise FileNotFoundError(f'{img_root} does not exist: expected the clip layout '
                                '<split_root>/img/<clip>/<clip>_<FFFFF>.png (docs/data.md)')
    clips: Dict[str, List[Tuple[int, Path]]] = {}
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


def flow_jobs(split_root: Path, clips: Dict[str, List[Tuple[int, Path]]]
              ) -> List[Tuple[Path, Path, Path]]:
    """(frame path, neighbour path, output path) for every _bw/_fw flow of every clip."""
    jobs = []
    for clip, frames in clips.items():
        by_index = dict(frames)
        for index, path in frames:
            for suffix, other in (('bw', index - 1), ('fw', index + 1)):
                if other in by_index:
                    out = split_root / 'flow' / clip / f'{clip}_{index:05d}_{suffix}.npy'
                    jobs.append((path, by_index[other], out))
    return jobs


def compute_flows(split_root: Path, estimator: Callable[[np.ndarray, np.ndarray], np.ndarray],
                  overwrite: bool = False, ext: str = '.png', progress: bool = True) -> Tuple[int, int]:
    """Write the missing flow files of a split. Returns (written, skipped)."""
    jobs = flow_jobs(split_root, list_clip_frames(split_root, ext))
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
    p.add_argument('split_root', help='a split of the clip layout, holding img/<clip>/...')
    p.add_argument('--estimator', default='OpenCVDISFlow',
                   help='a FLOW_ESTIMATORS type (default: %(default)s; also FarnebackFlow)')
    p.add_argument('--preset', default=None,
                   help="OpenCVDISFlow preset: ultrafast, fast or medium (default: medium)")
    p.add_argument('--ext', default='.png', help='frame file extension (default: %(default)s)')
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
    written, skipped = compute_flows(Path(args.split_root), estimator, overwrite=args.overwrite,
                                     ext=args.ext, progress=not args.no_progress)
    print(f'\n[compute_flow] {args.split_root}: wrote {written} flow files, kept {skipped} '
          f'existing, in {time.perf_counter() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
