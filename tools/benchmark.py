"""Run a matrix of configs over seeds and print Table-1/2-style results.

``python tools/benchmark.py SPEC [--work-dir D] [--seeds N] [--jobs J] [--only ROW ...] [--resume]
[--cfg-options k=v ...] [--stale {rerun,refuse}]``

Each job (row, seed) runs tools/train.py then tools/test.py in its own processes, up to J at once;
a finished job is reused only while its fingerprint (resolved config, code, data) matches; the
runner is ``uda_toolbox.apis.benchmark`` (docs/benchmarks.md).
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from uda_toolbox.job_server import start_job_server  # noqa: E402 -- imports nothing heavy

if __name__ == '__main__':
    start_job_server()  # its imports overlap this process's (uda_toolbox/job_server.py)

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
                        help='continue interrupted jobs from their last checkpoint (when their '
                        'fingerprint still matches)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every job\'s config (after each row\'s own '
                        'cfg_options), e.g. train_cfg.max_iters=40 for a short run of the table')
    parser.add_argument('--stale', choices=['rerun', 'refuse'], default='rerun',
                        help='a finished job whose config, code or data changed since: rerun it '
                        '(default), or refuse (report it as failed with the reason)')
    parser.add_argument('--status-interval', type=float, default=60.0,
                        help='seconds between two status lines while jobs run')
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f'--jobs must be >= 1, got {args.jobs}')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_benchmark(args.spec, args.work_dir, args.seeds, jobs=args.jobs, only=args.only,
                         resume=args.resume, tools_dir=osp.dirname(osp.abspath(__file__)),
                         cfg_options=args.cfg_options, stale=args.stale,
                         status_interval=args.status_interval)


if __name__ == '__main__':
    sys.exit(main())
