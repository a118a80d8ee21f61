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

The work is done by ``uda_toolbox.data_prep.flow``. Examples (from the repository root, no
installation needed)::

    python tools/data/compute_flow.py data/synthetic/target/train
    python tools/data/compute_flow.py data/cityscapes_vps/train \\
        --sequence-root data/cityscapes/leftImg8bit_sequence/val --preset medium
    python tools/data/compute_flow.py data/viper/train --layout viper
"""
import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

try:
    import uda_toolbox  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from uda_toolbox.data_prep.flow import LAYOUTS, compute_flows  # noqa: E402
from uda_toolbox.registry import FLOW_ESTIMATORS  # noqa: E402
from uda_toolbox.utils.errors import DataError  # noqa: E402


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
