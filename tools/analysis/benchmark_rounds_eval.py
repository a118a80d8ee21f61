"""Before/after timings of pseudo-label rounds and evaluation, with the identity of their files
(issue 24; docs/performance_rounds_and_eval.md).

``python tools/analysis/benchmark_rounds_eval.py --before DIR CONFIG... [--clips N] [--repeats R]
[--alternations A] [--seed S] [--checkpoint PTH] [--files-dir DIR] [--out JSON]``

``DIR`` is the root of another checkout (``git worktree add /tmp/before main``). Each tree is
measured in its own subprocess (one thread), the trees alternating; the table shows CPU-second
medians of plain inference, a round and their ratio per config, then decoding vs. mIoU + VPQ^s,
and whether every round file (label PNGs, stats.json without its clock readings) and the
metrics JSON are byte-identical (sha256) between the trees.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from uda_toolbox.apis.analysis import benchmark_rounds_eval  # noqa: E402

DEFAULT_CONFIGS = ['configs/cbst/synthetic.py', 'configs/crst/synthetic_lrent.py',
                   'configs/iast/synthetic.py', 'configs/vst/synthetic.py']


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('configs', nargs='*', default=DEFAULT_CONFIGS,
                        help='self-training configs (default: CBST, CRST-LRENT, IAST, VST on '
                        'the embedded pair); the first also gives the evaluation test set')
    parser.add_argument('--before', required=True, help='root of the checkout to compare with')
    parser.add_argument('--clips', type=int, default=10, help='target clips per round')
    parser.add_argument('--repeats', type=int, default=3, help='timed repeats per subprocess')
    parser.add_argument('--alternations', type=int, default=2,
                        help='subprocesses per tree, alternating before/after')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--checkpoint', help='segmentor weights (default: random init)')
    parser.add_argument('--files-dir', help='keep both trees\' round files and metrics here')
    parser.add_argument('--out', help='write the results as JSON here')
    args = parser.parse_args(argv)
    for name in ('clips', 'repeats', 'alternations'):
        if getattr(args, name) < 1:
            raise SystemExit(f'--{name} must be >= 1, got {getattr(args, name)}')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    command = ' '.join(['python tools/analysis/benchmark_rounds_eval.py']
                       + list(sys.argv[1:] if argv is None else argv))
    return benchmark_rounds_eval(args.before, args.configs, clips=args.clips, repeats=args.repeats,
                                 alternations=args.alternations, seed=args.seed,
                                 checkpoint=args.checkpoint, files_dir=args.files_dir,
                                 out=args.out, command=command)


if __name__ == '__main__':
    main()
