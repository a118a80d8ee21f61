"""P-mIoU of pseudo-label policies at equal labelled proportions (Shin et al. (2021) Table 7), and
round timing.

``python tools/analysis/pseudo_label_quality.py CONFIG [CHECKPOINT] [--out FILE]``

CONFIG is a self-training config with a ``pseudo_label_quality`` entry (configs/vst/
synthetic_table7.py): the proportions to compare and, per method, a policy, the parameter tuned
to reach each proportion (Shin et al. (2021) tunes alpha, "for fair comparisons"), whether the
predictions are temporally aggregated (Eq. 10) and the instance. The model (CHECKPOINT, default
the config's ``load_from``) predicts every target training frame once; each method's parameter
is then found by bisection on those cached predictions until the labelled proportion is within
``tolerance`` of the target, and the P-mIoU of those labels against the target training ground
truth is reported (analysis only). Nothing is written to the work dirs.

It also times, on the same frames: plain inference (reading the frames + the model, as a test
pass would) and one full pseudo-label round of each method as the PseudoLabelHook runs it
(written to a temporary directory), so the round's cost is reported relative to inference.
"""
import argparse
import copy
import json
import os.path as osp
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.runner.checkpoint import load_checkpoint  # noqa: E402

from uda_toolbox import register_all_modules  # noqa: E402
from uda_toolbox.pseudo_labels.predict import (  # noqa: E402
    ClipPredictor,
    dataset_clips,
    file_flow_fn,
    ground_truth_fn,
    model_prob_fn,
)
from uda_toolbox.pseudo_labels.round import generate_round, label_clip, observe_clip  # noqa: E402
from uda_toolbox.pseudo_labels.stats import RoundStats  # noqa: E402
from uda_toolbox.registry import DATASETS, MODELS, PSEUDO_LABEL_POLICIES  # noqa: E402
from uda_toolbox.utils import allow_toolbox_checkpoint_globals  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='P-mIoU of pseudo-label policies (Table 7)')
    parser.add_argument('config', help='config with a pseudo_label_quality entry')
    parser.add_argument('checkpoint', nargs='?', help='model weights (default: load_from)')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--no-timing', action='store_true', help='skip the round timings')
    return parser.parse_args(argv)


def label_all(policy_cfg: dict, predictions: List[Tuple[str, list, torch.Tensor]], instance,
              load_gt, num_classes: int) -> Dict[str, Any]:
    """One round of a policy over cached predictions; its statistics (nothing written)."""
    policy = PSEUDO_LABEL_POLICIES.build(copy.deepcopy(policy_cfg))
    policy.start_round(0)
    if getattr(policy, 'two_pass', False):
        for _, _, probs in predictions:
            observe_clip(policy, probs.float(), instance)
        policy.finish_observation()
    stats = RoundStats(num_classes)
    for _, records, probs in predictions:
        for record, label in zip(records, label_clip(policy, probs.float(), instance)):
            stats.add(label, load_gt(record))
    return stats.summary()


def tune(method: dict, target: float, tolerance: float, predictions, load_gt,
         num_classes: int, max_steps: int = 20) -> Dict[str, Any]:
    """Bisection on ``method['param']`` (labelled proportion grows with it) to hit ``target``."""
    lo, hi = method.get('range', (1e-4, 1.0))
    best: Optional[Dict[str, Any]] = None
    for _ in range(max_steps):
        value = (lo + hi) / 2
        cfg = dict(method['policy'], **{method['param']: value})
        summary = label_all(cfg, predictions, method.get('instance', 'clip'), load_gt, num_classes)
        summary['value'] = value
        if best is None or abs(summary['proportion'] - target) < abs(best['proportion'] - target):
            best = summary
        if abs(summary['proportion'] - target) <= tolerance:
            break
        if summary['proportion'] < target:
            lo = value
        else:
            hi = value
    return best


def main(argv=None) -> Dict[str, Any]:
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    allow_toolbox_checkpoint_globals()
    cfg = Config.fromfile(args.config)
    spec = cfg.get('pseudo_label_quality')
    if spec is None:
        raise SystemExit(f'{args.config} has no pseudo_label_quality entry '
                         '(see configs/vst/synthetic_table7.py)')
    checkpoint = args.checkpoint or cfg.get('load_from')
    if not checkpoint or not osp.isfile(checkpoint):
        raise SystemExit(f'checkpoint {checkpoint!r} does not exist: pass the model to analyse '
                         '(e.g. work_dirs/vat_synthetic/iter_400.pth)')
    model = MODELS.build(copy.deepcopy(cfg.model))
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.eval()
    model_fn = model_prob_fn(model)

    target_cfg = copy.deepcopy(cfg.train_dataloader.dataset.target)
    target_cfg.pop('pseudo_label_dir', None)
    clips = dataset_clips(DATASETS.build(target_cfg))
    hook_cfg = cfg.pseudo_labels
    load_gt = ground_truth_fn(DATASETS.build(copy.deepcopy(hook_cfg['label_dataset'])))
    scale = hook_cfg.get('scale')
    num_frames = sum(len(records) for _, records in clips)
    print(f'{len(clips)} clips, {num_frames} frames; model {checkpoint}', flush=True)

    # Predictions once, plain and aggregated (kept as float16), with their timings.
    timings: Dict[str, Dict[str, float]] = dict(plain={}, aggregated={})
    plain, aggregated = [], []
    with torch.no_grad():
        tic = time.perf_counter()
        predict = ClipPredictor(model_fn, scale=scale, batch_size=args.batch_size)
        for clip_id, records in clips:
            probs, _ = predict(records, timings['plain'])
            plain.append((clip_id, records, probs.half()))
        inference_s = time.perf_counter() - tic
        predict = ClipPredictor(model_fn, scale=scale, batch_size=args.batch_size,
                                aggregate=dict(), flow_fn=file_flow_fn)
        for clip_id, records in clips:
            probs, _ = predict(records, timings['aggregated'])
            aggregated.append((clip_id, records, probs.half()))
    num_classes = plain[0][2].shape[1]
    results: Dict[str, Any] = dict(config=args.config, checkpoint=checkpoint, frames=num_frames,
                                   inference_seconds=inference_s,
                                   inference_timings=timings['plain'], table={}, rounds={})
    print(f'plain inference (read + model): {inference_s:.2f} s '
          f'({timings["plain"]["model"]:.2f} s in the model)', flush=True)

    for method in spec['methods']:
        predictions = aggregated if method.get('aggregate') else plain
        for proportion in spec['proportions']:
            best = tune(method, proportion, spec.get('tolerance', 0.005), predictions, load_gt,
                        num_classes)
            results['table'].setdefault(method['name'], {})[str(proportion)] = dict(
                p_miou=best.get('p_miou'), proportion=best['proportion'],
                param=method['param'], value=best['value'], p_acc=best.get('p_acc'))
            print(f'{method["name"]:>6} proportion {proportion}: reached {best["proportion"]:.3f} '
                  f'with {method["param"]}={best["value"]:.4g}, P-mIoU {best.get("p_miou"):.2f}',
                  flush=True)
        if not args.no_timing:
            with tempfile.TemporaryDirectory() as tmp:
                predictor = ClipPredictor(
                    model_fn, scale=scale, batch_size=args.batch_size,
                    aggregate=dict() if method.get('aggregate') else None, flow_fn=file_flow_fn)
                summary = generate_round(
                    predictor, clips, PSEUDO_LABEL_POLICIES.build(copy.deepcopy(method['policy'])),
                    0, out_dir=tmp, instance=method.get('instance', 'clip'), progress=False)
            results['rounds'][method['name']] = dict(
                seconds=summary['seconds'], timings=summary['timings'],
                relative_to_inference=summary['seconds'] / inference_s)
            print(f'{method["name"]:>6} round: {summary["seconds"]:.2f} s = '
                  f'{summary["seconds"] / inference_s:.2f} x plain inference '
                  f'({summary["timings"]})', flush=True)

    header = '| P-mIoU | ' + ' | '.join(m['name'] for m in spec['methods']) + ' |'
    lines = [header, '|' + '---|' * (len(spec['methods']) + 1)]
    for proportion in spec['proportions']:
        cells = []
        for method in spec['methods']:
            entry = results['table'][method['name']][str(proportion)]
            cells.append(f'{entry["p_miou"]:.1f} ({entry["proportion"]:.3f})')
        lines.append(f'| {proportion} | ' + ' | '.join(cells) + ' |')
    print('\n'.join(lines))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == '__main__':
    main()
