"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT`` logs per-class IoU, mIoU and VPQ^s.

mmseg's options: ``--out DIR`` writes the predictions (label PNGs), ``--show-dir DIR`` pictures of
them, ``--tta`` tests with flip augmentation; the metrics go to ``<work-dir>/test_metrics.json``
(``--metrics-out``). docs/get_started.md, "Train, test, resume".
"""
import argparse
import json
import math
import os.path as osp
import sys
import warnings

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from uda_toolbox.apis import (  # noqa: E402
    add_run_args,
    build_runner,
    build_test_config,
    check_work_dir,
    load_test_checkpoint,
    parse_run_args,
    require_checkpoint,
    run_with_clear_errors,
    start_run,
)
from uda_toolbox.utils import atomic_write  # noqa: E402


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
    add_run_args(parser, 'override settings of the config')
    parser.add_argument('--allow-partial-weights', action='store_true',
                        help='evaluate even when the checkpoint lacks segmentor weights of the '
                        'model, has unexpected ones or ones of another shape (by default an '
                        'error: the result would be that of a partly random model)')
    args = parse_run_args(parser, argv)
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
    start_run(args)
    cfg = run_with_clear_errors(None, lambda: build_test_config(
        args.config, args.checkpoint, args.work_dir, args.cfg_options, launcher=args.launcher,
        tta=args.tta))
    require_checkpoint(cfg.load_from, 'CHECKPOINT')
    metrics_out = args.metrics_out or osp.join(cfg.work_dir, 'test_metrics.json')
    show_dir = osp.join(cfg.work_dir, args.show_dir) if args.show_dir else None
    check_work_dir(cfg.work_dir)
    check_outputs(metrics_out, args.out, show_dir)
    hooks = [dict(type='EvalProgressHook')]  # progress over the test frames (terminal or log lines)
    if args.out or show_dir:
        hooks.append(dict(type='PredictionWriterHook', pred_dir=args.out, show_dir=show_dir))
    cfg.custom_hooks = [*(cfg.get('custom_hooks') or []), *hooks]

    runner = run_with_clear_errors(cfg, lambda: build_runner(cfg))
    # Strict about the weights: a checkpoint that does not fit the model is an error, not a
    # warning beside the metrics of a partly random model.
    run_with_clear_errors(cfg, lambda: load_test_checkpoint(
        runner, cfg.load_from, allow_partial=args.allow_partial_weights))
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
