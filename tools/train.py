"""Train an adaptor: ``python tools/train.py CONFIG [--work-dir D] [--resume] [--cfg-options k=v ...]``."""
import argparse
import contextlib
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from uda_toolbox.apis import (  # noqa: E402
    add_run_args,
    build_runner,
    build_train_config,
    check_load_from,
    check_work_dir,
    parse_run_args,
    run_with_clear_errors,
    start_run,
    work_dir_lock,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a UDA adaptor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and checkpoints '
                        '(default: work_dirs/<method>_<config name>)')
    parser.add_argument('--resume', action='store_true',
                        help='resume from the newest checkpoint of the work dir that verifies '
                        '(a truncated or damaged newer one is skipped with a warning)')
    parser.add_argument('--amp', action='store_true',
                        help='enable automatic mixed precision (needs a CUDA GPU)')
    add_run_args(parser, 'override settings of the config, e.g. model.target_bn=True; '
                 'train_cfg.max_iters=N (or max_iters=N) shortens the whole schedule')
    return parse_run_args(parser, argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    start_run(args)
    cfg = run_with_clear_errors(None, lambda: build_train_config(
        args.config, args.work_dir, args.cfg_options, resume=args.resume, amp=args.amp,
        launcher=args.launcher))
    check_load_from(cfg)
    check_work_dir(cfg.work_dir)
    # One run per work dir: a second one would overwrite this one's checkpoints and labels.
    with contextlib.ExitStack() as stack:
        run_with_clear_errors(cfg, lambda: stack.enter_context(work_dir_lock(cfg.work_dir)))
        run_with_clear_errors(cfg, lambda: build_runner(cfg).train())


if __name__ == '__main__':
    main()
