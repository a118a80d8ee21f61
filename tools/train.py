"""Train an adaptor: ``python tools/train.py CONFIG [--work-dir D] [--resume] [--cfg-options k=v ...]``."""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from mmengine.config import DictAction  # noqa: E402

from uda_toolbox import register_all_modules  # noqa: E402
from uda_toolbox.apis import (  # noqa: E402
    build_runner,
    build_train_config,
    check_load_from,
    check_work_dir,
    run_with_clear_errors,
)
from uda_toolbox.engine.dist import init_cpu_process_group  # noqa: E402
from uda_toolbox.utils.checkpoint import UNSAFE_LOAD_HELP, setup_checkpoint_loading  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a UDA adaptor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and checkpoints '
                        '(default: work_dirs/<method>_<config name>)')
    parser.add_argument('--resume', action='store_true',
                        help='resume from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='enable automatic mixed precision (needs a CUDA GPU)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, e.g. model.target_bn=True; '
                        'train_cfg.max_iters=N (or max_iters=N) shortens the whole schedule')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--unsafe-load', action='store_true', help=UNSAFE_LOAD_HELP)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    init_cpu_process_group(args.launcher)  # mmengine's pytorch launcher needs CUDA
    register_all_modules(init_default_scope=False)
    setup_checkpoint_loading(unsafe=args.unsafe_load)
    cfg = run_with_clear_errors(None, lambda: build_train_config(
        args.config, args.work_dir, args.cfg_options, resume=args.resume, amp=args.amp,
        launcher=args.launcher))
    check_load_from(cfg)
    check_work_dir(cfg.work_dir)
    run_with_clear_errors(cfg, lambda: build_runner(cfg).train())


if __name__ == '__main__':
    main()
