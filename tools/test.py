"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT`` logs per-class IoU, mIoU and VPQ^s.

mmseg's options: ``--out DIR`` writes the predictions (label PNGs), ``--show-dir DIR`` pictures of
them, ``--tta`` tests with flip augmentation; the metrics go to ``<work-dir>/test_metrics.json``
(``--metrics-out``). docs/get_started.md, "Train, test, resume".
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
import warnings

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from mmengine.config import DictAction  # noqa: E402

from uda_toolbox import register_all_modules  # noqa: E402
from uda_toolbox.apis import (  # noqa: E402
    build_runner,
    build_test_config,
    check_work_dir,
    run_with_clear_errors,
)
from uda_toolbox.engine.dist import init_cpu_process_group  # noqa: E402
from uda_toolbox.utils import atomic_write  # noqa: E402
from uda_toolbox.utils.checkpoint import (  # noqa: E402
    UNSAFE_LOAD_HELP,
    CheckpointError,
    check_checkpoint_file,
    setup_checkpoint_loading,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) an adaptor checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file, or a run\'s work dir (its latest '
                        'checkpoint)')
    parser.add_argument('--work-dir', help='dir for logs and the metrics file '
                        '(default: work_dirs/<method>_<config name>, as tools/train.py)')
    parser.add_argument('--out', help='dir to save the predictions in, as label PNGs of train ids '
                        '(<out>/<clip>/<frame stem>.png), as mmseg\'s --out. A path ending in '
                        '.json is read as --metrics-out (deprecated)')
    parser.add_argument('--metrics-out', help='JSON file for the metrics (default: '
                        '<work-dir>/test_metrics.json)')
    parser.add_argument('--show-dir', help='dir to save a picture of every prediction in (frame | '
                        'ground truth | prediction | errors; relative paths are taken inside the '
                        'work dir)')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation: the config\'s '
                        'tta_pipeline / tta_model, by default each frame as it is and flipped')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--unsafe-load', action='store_true', help=UNSAFE_LOAD_HELP)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.out and args.out.endswith('.json'):
        if args.metrics_out:
            parser.error('--out ending in .json is the old --metrics-out; give one of the two')
        warnings.warn('tools/test.py --out FILE.json is deprecated: --out is now a directory of '
                      'predictions as in mmseg; write the metrics with --metrics-out.', stacklevel=2)
        args.metrics_out, args.out = args.out, None
    return args


def check_outputs(metrics_out: str, pred_dir, show_dir) -> None:
    """Stop before the evaluation when an output cannot be written (not after it)."""
    if osp.isdir(metrics_out):
        raise SystemExit(f'--metrics-out {metrics_out!r} is a directory; name a .json file.')
    check_work_dir(osp.dirname(osp.abspath(metrics_out)))
    for flag, path in (('--out', pred_dir), ('--show-dir', show_dir)):
        if path and osp.isfile(path):
            raise SystemExit(f'{flag} {path!r} is a file; {flag} names a directory (created if '
                             'needed). The metrics JSON goes to --metrics-out.')
        if path:
            check_work_dir(path)


def main(argv=None) -> dict:
    args = parse_args(argv)
    init_cpu_process_group(args.launcher)  # mmengine's pytorch launcher needs CUDA
    register_all_modules(init_default_scope=False)
    setup_checkpoint_loading(unsafe=args.unsafe_load)
    cfg = run_with_clear_errors(None, lambda: build_test_config(
        args.config, args.checkpoint, args.work_dir, args.cfg_options, launcher=args.launcher,
        tta=args.tta))
    try:
        check_checkpoint_file(cfg.load_from, key='CHECKPOINT')
    except CheckpointError as exc:
        raise SystemExit(f'Checkpoint error: {exc}') from None
    metrics_out = args.metrics_out or osp.join(cfg.work_dir, 'test_metrics.json')
    show_dir = osp.join(cfg.work_dir, args.show_dir) if args.show_dir else None
    check_work_dir(cfg.work_dir)
    check_outputs(metrics_out, args.out, show_dir)
    hooks = [dict(type='EvalProgressHook')]  # a progress bar over the test frames (terminals only)
    if args.out or show_dir:
        hooks.append(dict(type='PredictionWriterHook', pred_dir=args.out, show_dir=show_dir))
    cfg.custom_hooks = [*(cfg.get('custom_hooks') or []), *hooks]

    runner = run_with_clear_errors(cfg, lambda: build_runner(cfg))
    metrics = run_with_clear_errors(cfg, runner.test)  # ClipSegMetric logs the tables
    if runner.rank == 0:
        classes = runner.test_dataloader.dataset.metainfo['classes']
        record = dict(config=args.config, checkpoint=cfg.load_from, classes=list(classes),
                      tta=args.tta,
                      metrics={k: (None if isinstance(v, float) and math.isnan(v) else float(v))
                               for k, v in metrics.items()})
        with atomic_write(metrics_out) as tmp:
            tmp.write_text(json.dumps(record, indent=1))
        print(f'metrics written to {metrics_out}')
        for flag, path in (('predictions', args.out), ('pictures', show_dir)):
            if path:
                print(f'{flag} written to {path}')
    return metrics


if __name__ == '__main__':
    main()
