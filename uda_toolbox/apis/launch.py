"""What ``tools/train.py`` and ``tools/test.py`` share before they build a config: the flags of a
run (overrides, launcher, checkpoint loading) and the process set-up they ask for."""
import argparse
import os
from typing import Optional, Sequence

from mmengine.config import DictAction

from uda_toolbox.engine.dist import init_cpu_process_group
from uda_toolbox.utils.checkpoint import (
    SKIP_CHECKSUM_HELP,
    UNSAFE_LOAD_HELP,
    setup_checkpoint_loading,
)


def add_run_args(parser: argparse.ArgumentParser, cfg_options_help: str) -> None:
    """``--cfg-options``, ``--launcher``, ``--unsafe-load``, ``--skip-checksum`` and ``--local_rank``."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help=cfg_options_help)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--unsafe-load', action='store_true', help=UNSAFE_LOAD_HELP)
    parser.add_argument('--skip-checksum', action='store_true', help=SKIP_CHECKSUM_HELP)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_run_args(parser: argparse.ArgumentParser,
                   argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse; ``LOCAL_RANK`` comes from the flag when the launcher did not set it (mmengine reads
    the environment)."""
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def start_run(args: argparse.Namespace) -> None:
    """The process group of a CPU ``--launcher pytorch`` run (mmengine's needs CUDA), every
    toolbox module registered, and safe checkpoint loading (or unsafe, when asked for) with the
    checkpoints' checksums verified (unless ``--skip-checksum``)."""
    from uda_toolbox import register_all_modules

    init_cpu_process_group(args.launcher)
    register_all_modules(init_default_scope=False)
    setup_checkpoint_loading(unsafe=args.unsafe_load, verify_checksums=not args.skip_checksum)
