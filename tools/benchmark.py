"""Run a matrix of configs over seeds and print Table-1/2-style results.

``python tools/benchmark.py SPEC [--work-dir D] [--seeds N] [--jobs J] [--only ROW ...] [--resume]``

Each job (row, seed) runs tools/train.py then tools/test.py in its own processes, up to J at once;
the runner is ``uda_toolbox.apis.benchmark`` (docs/benchmarks.md).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from uda_toolbox.apis import run_benchmark  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run a benchmark spec and print its tables')
    parser.add_argument('spec', help='benchmark spec (configs/benchmarks/*.py)')
    parser.add_argument('--work-dir', help='override the spec\'s work_dir')
    parser.add_argument('--seeds', type=int, help='run seeds 0..N-1 instead of the spec\'s seeds')
    parser.add_argument('--jobs', type=int, default=1,
                        help='jobs run at once; the CPU threads are split between them')
    parser.add_argument('--only', nargs='+', help='run only these rows (by name); their '
                        'dependencies must have finished already or be listed too')
    parser.add_argument('--resume', action='store_true',
                        help='continue interrupted jobs from their last checkpoint (finished '
                        'jobs are always reused)')
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f'--jobs must be >= 1, got {args.jobs}')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_benchmark(args.spec, args.work_dir, args.seeds, jobs=args.jobs, only=args.only,
                         resume=args.resume, tools_dir=osp.dirname(osp.abspath(__file__)))


if __name__ == '__main__':
    sys.exit(main())
