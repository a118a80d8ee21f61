"""Speed benchmark of adaptors on one batch, in one process.

``python tools/analysis/benchmark_speed.py CONFIG... [--iters N] [--warmup W] [--repeats R]
[--out JSON] [--device cpu|cuda] [--profile DIR]``

For every config: seconds per ``train_step`` on one fixed batch (the same frames for every
adaptor) relative to source-only, the batch's loading time, peak memory, one pseudo-label round
against plain inference (self-training configs) and the evaluation against decoding its PNGs.
What each figure includes, the measured table and what the profiles show: docs/performance.md.
The measurements are ``uda_toolbox.analysis.speed``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.config import DictAction  # noqa: E402

from uda_toolbox.analysis.speed import SpeedSettings  # noqa: E402
from uda_toolbox.apis.analysis import benchmark_speed  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_REFERENCE = osp.join(REPO, 'configs', 'source_only', 'synthetic.py')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Speed benchmark of adaptors on one batch')
    parser.add_argument('configs', nargs='+', help='config files (the first gives the batch)')
    parser.add_argument('--iters', type=int, default=10, help='timed steps per config and repeat')
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps per config first')
    parser.add_argument('--repeats', type=int, default=5,
                        help='round-robin passes over the configs (medians are reported)')
    parser.add_argument('--round-repeats', type=int, default=3,
                        help='repeats of each pseudo-label round and of its plain inference')
    parser.add_argument('--eval-repeats', type=int, default=5, help='repeats of the evaluation')
    parser.add_argument('--round-clips', type=int, default=None,
                        help='time rounds on the first N target clips only (default: all)')
    parser.add_argument('--batch-size', type=int, default=None,
                        help='clips per domain in the batch (default: the first config\'s '
                        'train_dataloader.batch_size)')
    parser.add_argument('--reference', default=DEFAULT_REFERENCE,
                        help='source-only config added when no given config is one')
    parser.add_argument('--weights', choices=['auto', 'random'], default='auto',
                        help='auto: load a config\'s load_from when the file exists')
    parser.add_argument('--device', default=None, help='cpu or cuda (default: cuda if available)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-rounds', action='store_true',
                        help='do not time the pseudo-label rounds (one untimed round still '
                        'writes the labels the self-training batches read)')
    parser.add_argument('--no-eval', action='store_true', help='skip the evaluation timing')
    parser.add_argument('--with-p-miou', action='store_true',
                        help='rounds also compute P-mIoU when the hook has a label_dataset')
    parser.add_argument('--profile', metavar='DIR',
                        help='write torch.profiler tables of each config\'s step and round here')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every config, e.g. '
                        'train_dataloader.batch_size=2')
    args = parser.parse_args(argv)
    for name in ('iters', 'repeats', 'round_repeats', 'eval_repeats'):
        if getattr(args, name) < 1:
            raise SystemExit(f'--{name.replace("_", "-")} must be >= 1, got {getattr(args, name)}')
    if args.warmup < 0:
        raise SystemExit(f'--warmup must be >= 0, got {args.warmup}')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    settings = SpeedSettings(**{k: v for k, v in vars(args).items()
                                if k in SpeedSettings.__dataclass_fields__})
    command = ' '.join(['python tools/analysis/benchmark_speed.py']
                       + list(sys.argv[1:] if argv is None else argv))
    return benchmark_speed(args.configs, args.reference, settings, args.device, args.cfg_options,
                           args.out, command)


if __name__ == '__main__':
    main()
