"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT`` prints per-class IoU, mIoU and VPQ^s."""
import argparse
import json
import math
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from mmengine.config import Config  # noqa: E402

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
from uda_toolbox.evaluation import metrics_to_tables  # noqa: E402
from uda_toolbox.utils import atomic_write  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) an adaptor checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='dir for logs and the metrics file '
                        '(default: work_dirs/<method>_<config name>)')
    parser.add_argument('--out', help='JSON file for the metrics (default: '
                        '<work-dir>/test_metrics.json)')
    parser.add_argument('--show-dir', help='dir (inside the work dir) to save painted predictions')
    add_run_args(parser, 'override settings of the config')
    parser.add_argument('--allow-partial-weights', action='store_true',
                        help='evaluate even when the checkpoint lacks segmentor weights of the '
                        'model, has unexpected ones or ones of another shape (by default an '
                        'error: the result would be that of a partly random model)')
    return parse_run_args(parser, argv)


def enable_visualization(cfg: Config, show_dir: str) -> None:
    """Paint the prediction of every test frame beside its ground truth into ``show_dir``
    (relative paths are taken inside the work dir), as mmseg's --show-dir does."""
    hooks = cfg.setdefault('default_hooks', {})
    vis = hooks.setdefault('visualization', dict(type='SegVisualizationHook'))
    vis.update(draw=True, interval=1)
    cfg.visualizer.save_dir = osp.join(cfg.work_dir, show_dir)


def main(argv=None) -> dict:
    args = parse_args(argv)
    start_run(args)
    require_checkpoint(args.checkpoint, 'CHECKPOINT')
    cfg = run_with_clear_errors(None, lambda: build_test_config(
        args.config, args.checkpoint, args.work_dir, args.cfg_options, launcher=args.launcher))
    if args.show_dir:
        enable_visualization(cfg, args.show_dir)
    # a progress bar over the test frames (drawn on a terminal only; logs keep mmengine's lines)
    cfg.custom_hooks = [*(cfg.get('custom_hooks') or []), dict(type='EvalProgressHook')]

    check_work_dir(cfg.work_dir)
    runner = run_with_clear_errors(cfg, lambda: build_runner(cfg))
    # Strict about the weights: a checkpoint that does not fit the model is an error, not a
    # warning beside the metrics of a partly random model.
    run_with_clear_errors(cfg, lambda: load_test_checkpoint(
        runner, args.checkpoint, allow_partial=args.allow_partial_weights))
    metrics = run_with_clear_errors(cfg, runner.test)
    classes = runner.test_dataloader.dataset.metainfo['classes']
    if runner.rank == 0:
        print(metrics_to_tables(metrics, classes))
        out = args.out or osp.join(cfg.work_dir, 'test_metrics.json')
        record = dict(config=args.config, checkpoint=args.checkpoint, classes=list(classes),
                      metrics={k: (None if isinstance(v, float) and math.isnan(v) else float(v))
                               for k, v in metrics.items()})
        with atomic_write(out) as tmp:
            tmp.write_text(json.dumps(record, indent=1))
        print(f'metrics written to {out}')
    return metrics


if __name__ == '__main__':
    main()
