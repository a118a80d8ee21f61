"""Render predictions, pseudo labels, optical flow and benchmark charts as images.

``python tools/visualize.py COMMAND ...`` (docs/visualization.md)::

    predict CONFIG CHECKPOINT --clips 000 001 --out DIR     prediction vs ground truth, per annotated frame
    predict CONFIG --pred-dir PRED --clips 000 --out DIR    the same from label PNGs PRED/<clip>/<stem>.png
    compare --configs A.py B.py --checkpoints a.pth b.pth --clip 000 --out clip.gif|clip.mp4
    labels WORK_DIR/pseudo_labels/round_2 --out DIR         a pseudo-label round, ignored pixels in black
    flow data/synthetic/target/val/flow/000 --out DIR       flow files as Middlebury colour images
    chart work_dirs/benchmark_synthetic/results.json --out chart.png   per-class chart (heatmap)

The commands are ``uda_toolbox.apis.visualize``.
"""
import argparse
import os.path as osp
import sys
from typing import List

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from mmengine.config import DictAction  # noqa: E402

from uda_toolbox.apis.visualize import visualize  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)

    def common(p, alpha=True):
        p.add_argument('--min-width', type=int, default=256,
                       help='enlarge panels narrower than this by an integer factor and shrink '
                       'those wider than 1024 px (0: keep the frame size)')
        if alpha:
            p.add_argument('--alpha', type=float, default=0.6,
                           help='weight of the label colours over the frame (1: colours only)')

    p = sub.add_parser('predict', help='prediction vs ground truth of chosen clips, per annotated frame')
    p.add_argument('config', help='config whose test dataset gives the frames and labels')
    p.add_argument('checkpoint', nargs='?', help='model weights (or use --pred-dir)')
    p.add_argument('--pred-dir', help='predictions as <dir>/<clip>/<frame stem>.png label maps')
    p.add_argument('--clips', nargs='+', help='clip ids ("all": every clip; default: the first)')
    p.add_argument('--out', required=True, help='output directory (<out>/<clip>/<frame stem>.png)')
    p.add_argument('--save-pred', help='also write the predictions as label PNGs into this directory')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--device', help='e.g. cpu, cuda:0 (default: cuda when available)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    common(p)

    p = sub.add_parser('compare', help='animated side-by-side of several models on one clip')
    p.add_argument('--configs', nargs='+', required=True, help='one config per model')
    p.add_argument('--checkpoints', nargs='+', help='one checkpoint per config')
    p.add_argument('--pred-dirs', nargs='+', help='instead of checkpoints: one predictions dir per model')
    p.add_argument('--names', nargs='+', help='panel titles (default: the configs\' directory names)')
    p.add_argument('--data-config', help='config whose test dataset gives the frames (default: the first)')
    p.add_argument('--clip', required=True, help='clip id')
    p.add_argument('--out', required=True, help='.gif or .mp4 file')
    p.add_argument('--frames', choices=['all', 'annotated'], default='all',
                   help='every frame of the clip (ground truth where annotated) or annotated ones only')
    p.add_argument('--fps', type=float, default=4.0)
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--device', help='e.g. cpu, cuda:0 (default: cuda when available)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    common(p)

    p = sub.add_parser('labels', help='a pseudo-label round, ignored pixels shown in black')
    p.add_argument('round_dir', help='<work_dir>/pseudo_labels/round_<r> (or pseudo_labels: its CURRENT)')
    p.add_argument('--out', required=True, help='output directory')
    p.add_argument('--clips', nargs='+', help='clip ids ("all": every clip; default: the first)')
    p.add_argument('--img-dir', help='frames as <dir>/<clip>/<frame stem>.png')
    p.add_argument('--config', help='take the frames from this config\'s target training set')
    p.add_argument('--every', type=int, default=1, help='draw every n-th frame')
    common(p)

    p = sub.add_parser('flow', help='flow files (.npy, .flo, KITTI .png) as colour images')
    p.add_argument('inputs', nargs='+', help='flow files or directories (searched recursively)')
    p.add_argument('--out', required=True, help='output directory')
    p.add_argument('--max-flow', type=float,
                   help='magnitude (px) drawn fully saturated, the same for every file '
                   '(default: each file\'s largest, so colours compare within a file only)')
    common(p, alpha=False)

    p = sub.add_parser('chart', help='per-class chart of benchmark or test results (a method x '
                       'class heatmap with the values, or grouped bars)')
    p.add_argument('results', nargs='+', help='results.json of tools/benchmark.py and/or '
                   'test_metrics.json of tools/test.py')
    p.add_argument('--out', required=True, help='PNG file')
    p.add_argument('--metric', choices=['IoU', 'VPQ'], default='IoU')
    p.add_argument('--title')
    p.add_argument('--kind', choices=['heatmap', 'bars'], default='heatmap',
                   help='heatmap: a method x class table of coloured cells with their values '
                   '(default); bars: grouped bars, one distinct colour per method')
    args = parser.parse_args(argv)
    if getattr(args, 'every', 1) < 1:
        parser.error('--every must be >= 1')
    if getattr(args, 'alpha', 0.0) is not None and not 0.0 <= getattr(args, 'alpha', 0.0) <= 1.0:
        parser.error('--alpha must lie in [0, 1]')
    return args


def main(argv=None) -> List[str]:
    """Run a command; returns the files written. Bad inputs exit with a one-line message."""
    args = vars(parse_args(argv))
    return visualize(args.pop('command'), **args)


if __name__ == '__main__':
    main()
