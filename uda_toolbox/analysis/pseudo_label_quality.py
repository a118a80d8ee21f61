"""P-mIoU of pseudo-label policies at equal labelled proportions (Shin et al. (2021) Table 7), and
the cost of their rounds.

A self-training config's ``pseudo_label_quality`` entry (configs/vst/synthetic_table7.py) names the
proportions to compare and, per method, a policy, the parameter tuned to reach each proportion
(Shin et al. (2021) tunes alpha, "for fair comparisons"), whether the predictions are temporally
aggregated (Eq. 10) and the instance. The model predicts every target training frame once; each
method's parameter is then found by bisection on those cached predictions until the labelled
proportion is within ``tolerance`` of the target, and the P-mIoU of those labels against the
target training ground truth is reported (analysis only). Nothing is written to the work dirs.

Timing, on the same frames: plain inference (reading the frames + the model, as a test pass
would) and one full pseudo-label round of each method as the PseudoLabelHook runs it (written to
a temporary directory), so the round's cost is reported relative to inference.
"""
import copy
import tempfile
import time
from typing import Any, Dict, List, Optional, Tuple

import torch
from mmengine.config import Config

from uda_toolbox.pseudo_labels.predict import (
    ClipPredictor,
    dataset_clips,
    file_flow_fn,
    ground_truth_fn,
    model_prob_fn,
)
from uda_toolbox.pseudo_labels.round import generate_round, label_clip, observe_clip
from uda_toolbox.pseudo_labels.stats import RoundStats
from uda_toolbox.registry import DATASETS, PSEUDO_LABEL_POLICIES

Predictions = List[Tuple[str, list, torch.Tensor]]  # (clip id, frame records, (K, C, H, W) probs)


def label_all(policy_cfg: dict, predictions: Predictions, instance, load_gt,
              num_classes: int) -> Dict[str, Any]:
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


def tune(method: dict, target: float, tolerance: float, predictions: Predictions, load_gt,
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


def predict_all(predictor: ClipPredictor, clips, timings: Dict[str, float]) -> Predictions:
    """Every clip's probabilities, kept as float16 (``timings`` gathers the predictor's)."""
    return [(clip_id, records, predictor(records, timings)[0].half()) for clip_id, records in clips]


def analyse_pseudo_labels(cfg: Config, model: torch.nn.Module, batch_size: int = 8,
                          timing: bool = True) -> Dict[str, Any]:
    """The Table 7 comparison of ``cfg.pseudo_label_quality`` for ``model`` (in eval mode) on the
    config's target training clips, with the ground truth of its pseudo-label ``label_dataset``;
    ``timing``: also time one round of each method against plain inference."""
    spec = cfg.pseudo_label_quality
    model_fn = model_prob_fn(model)
    target_cfg = copy.deepcopy(cfg.train_dataloader.dataset.target)
    target_cfg.pop('pseudo_label_dir', None)
    clips = dataset_clips(DATASETS.build(target_cfg))
    hook_cfg = cfg.pseudo_labels
    load_gt = ground_truth_fn(DATASETS.build(copy.deepcopy(hook_cfg['label_dataset'])))
    scale = hook_cfg.get('scale')
    num_frames = sum(len(records) for _, records in clips)
    print(f'{len(clips)} clips, {num_frames} frames', flush=True)

    # Predictions once, plain and aggregated (kept as float16), with their timings.
    timings: Dict[str, Dict[str, float]] = dict(plain={}, aggregated={})
    with torch.no_grad():
        tic = time.perf_counter()
        plain = predict_all(ClipPredictor(model_fn, scale=scale, batch_size=batch_size), clips,
                            timings['plain'])
        inference_s = time.perf_counter() - tic
        aggregated = predict_all(ClipPredictor(model_fn, scale=scale, batch_size=batch_size,
                                               aggregate=dict(), flow_fn=file_flow_fn),
                                 clips, timings['aggregated'])
    num_classes = plain[0][2].shape[1]
    results: Dict[str, Any] = dict(frames=num_frames, inference_seconds=inference_s,
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
                  f'with {method["param"]}={best["value"]:.4g}, P-mIoU {_p_miou(best, 2)}',
                  flush=True)
        if timing:
            summary = time_round(method, model_fn, clips, scale, batch_size)
            results['rounds'][method['name']] = dict(
                seconds=summary['seconds'], timings=summary['timings'],
                relative_to_inference=summary['seconds'] / inference_s)
            print(f'{method["name"]:>6} round: {summary["seconds"]:.2f} s = '
                  f'{summary["seconds"] / inference_s:.2f} x plain inference '
                  f'({summary["timings"]})', flush=True)
    return results


def time_round(method: dict, model_fn, clips, scale, batch_size: int) -> Dict[str, Any]:
    """One full round of ``method`` as the PseudoLabelHook runs it, into a temporary directory."""
    with tempfile.TemporaryDirectory() as tmp:
        predictor = ClipPredictor(
            model_fn, scale=scale, batch_size=batch_size,
            aggregate=dict() if method.get('aggregate') else None, flow_fn=file_flow_fn)
        return generate_round(
            predictor, clips, PSEUDO_LABEL_POLICIES.build(copy.deepcopy(method['policy'])),
            0, out_dir=tmp, instance=method.get('instance', 'clip'), progress=False)


def _p_miou(summary: Dict[str, Any], digits: int) -> str:
    """P-mIoU as text; '-' when no pixel was labelled (e.g. an untrained model's uniform
    predictions stay below every threshold)."""
    value = summary.get('p_miou')
    return '-' if value is None else f'{value:.{digits}f}'


def quality_table(results: Dict[str, Any], spec: dict) -> str:
    """Markdown: P-mIoU (reached proportion) per proportion and method."""
    lines = ['| P-mIoU | ' + ' | '.join(m['name'] for m in spec['methods']) + ' |',
             '|' + '---|' * (len(spec['methods']) + 1)]
    for proportion in spec['proportions']:
        cells = []
        for method in spec['methods']:
            entry = results['table'][method['name']][str(proportion)]
            cells.append(f'{_p_miou(entry, 1)} ({entry["proportion"]:.3f})')
        lines.append(f'| {proportion} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)
