"""P-mIoU of pseudo-label policies at equal labelled proportions (Shin et al. (2021) Table 7), and
round timing.

``python tools/analysis/pseudo_label_quality.py CONFIG [CHECKPOINT] [--out FILE]``

CONFIG is a self-training config with a ``pseudo_label_quality`` entry (configs/vst/
synthetic_table7.py); CHECKPOINT defaults to its ``load_from``. The analysis is
``uda_toolbox.analysis.pseudo_label_quality`` (docs/pseudo_labels.md); nothing is written to the
work dirs.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from uda_toolbox.apis.analysis import pseudo_label_quality  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='P-mIoU of pseudo-label policies (Table 7)')
    parser.add_argument('config', help='config with a pseudo_label_quality entry')
    parser.add_argument('checkpoint', nargs='?', help='model weights (default: load_from)')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--no-timing', action='store_true', help='skip the round timings')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    return pseudo_label_quality(args.config, args.checkpoint, batch_size=args.batch_size,
                                timing=not args.no_timing, out=args.out)


if __name__ == '__main__':
    main()
