"""Write optical flow in DA-VSN / TPS's file format, computed locally with OpenCV.

DA-VSN and TPS read precomputed FlowNet2/SDCNet flow whose download links died. This computes the
same quantity (the flow from frame t to frame t-1 on the frame-t grid) with one of the toolbox's
OpenCV estimators and stores it as they do: ``int16(trunc(flow * 10))`` (H, W, 2) ``.npy`` files,
flat in ``OUT_DIR``, named by the scheme of ``--naming`` (docs/data.md, "Flow in the originals'
format"). Every image under FRAMES_DIR whose name fits the scheme is a frame t when frame t-1 lies
beside it; ``--pairs 2`` also writes (t-1, t-2) for TPS's pseudo-label pair; ``--list`` restricts
the frames t to the names of a list file (e.g. the originals' split lists).

Examples (from the repository root)::

    python tools/data/write_original_flow.py data/viper/train/img data/viper/flow_original \\
        --naming viper --height 576
    python tools/data/write_original_flow.py data/cityscapes/leftImg8bit_sequence/val \\
        data/cityscapes/flow_original_val --naming cityscapes --height 512 --pairs 2

The originals' resolutions: Cityscapes 512x1024 (--height 512), VIPER 576x1024 (--height 576),
SYNTHIA-Seq 341x683; datasets read them with ``flow_naming=...`` and
``LoadClipFlow(resize_to_frame='height')``.
"""
import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's uda_toolbox first

from mmengine.utils import ProgressBar  # noqa: E402

from uda_toolbox.flow.original_format import (  # noqa: E402
    flow_jobs,
    index_frames,
    write_original_flows,
)
from uda_toolbox.registry import FLOW_ESTIMATORS  # noqa: E402
from uda_toolbox.utils.errors import DataError  # noqa: E402
from uda_toolbox.utils.flow_io import ORIGINAL_FLOW_NAMINGS  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('frames_dir', help='directory searched recursively for the frames')
    p.add_argument('out_dir', help='flat output directory of *_int16_x10.npy files')
    p.add_argument('--naming', choices=ORIGINAL_FLOW_NAMINGS, required=True,
                   help='file naming of the frames and of the flow files')
    p.add_argument('--height', type=int, default=None,
                   help='compute and store the flow at this many rows (aspect kept; default: the '
                        "frames' size)")
    p.add_argument('--pairs', type=int, choices=(1, 2), default=1,
                   help='2: also the (t-1, t-2) flow of every frame t (TPS)')
    p.add_argument('--list', default=None, help='text file of frame names t to use (one per line)')
    p.add_argument('--estimator', default='OpenCVDISFlow',
                   help='a FLOW_ESTIMATORS type (default: %(default)s; also FarnebackFlow)')
    p.add_argument('--preset', default=None,
                   help='OpenCVDISFlow preset: ultrafast, fast or medium (default: medium)')
    p.add_argument('--overwrite', action='store_true', help='recompute existing files')
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
        only = Path(args.list).read_text().splitlines() if args.list else None
        jobs = flow_jobs(index_frames(args.frames_dir, args.naming), args.naming, args.pairs, only)
        bar = ProgressBar(len(jobs)) if jobs and not args.no_progress else None
        written, skipped = write_original_flows(jobs, args.out_dir, estimator, args.height,
                                                args.overwrite, bar.update if bar else None)
    except (DataError, OSError) as exc:  # the message names the path and the fix
        raise SystemExit(f'error: {exc}') from None
    print(f'\n[write_original_flow] {args.frames_dir}: wrote {written} flow files, kept {skipped} '
          f'existing, in {time.perf_counter() - start:.1f} s -> {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
