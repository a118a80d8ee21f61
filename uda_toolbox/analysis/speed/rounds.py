"""Seconds of one pseudo-label round as the PseudoLabelHook runs it, against plain inference
over the same frames."""
import copy
import os.path as osp
import shutil
from typing import Any, Callable, Dict, List, Optional

import torch

from uda_toolbox.analysis.speed.entries import TARGETS, SpeedEntry, SpeedSettings
from uda_toolbox.analysis.speed.measure import (
    PeakMemory,
    Stopwatch,
    median,
    peak_summary,
    ratio_to,
    summary,
)
from uda_toolbox.analysis.speed.profile import profiled, top_operators
from uda_toolbox.pseudo_labels.predict import (
    ClipPredictor,
    dataset_clips,
    estimator_flow_fn,
    file_flow_fn,
    ground_truth_fn,
    model_prob_fn,
)
from uda_toolbox.pseudo_labels.round import generate_round
from uda_toolbox.registry import DATASETS, FLOW_ESTIMATORS, HOOKS, PSEUDO_LABEL_POLICIES
from uda_toolbox.utils import atomic_write


class RoundSetup:
    """What the PseudoLabelHook gives ``generate_round``: the hook is built from the config's
    hook arguments, so every setting and default is the hook's own."""

    def __init__(self, entry: SpeedEntry, max_clips: Optional[int], with_p_miou: bool):
        hook = HOOKS.build(dict(type='PseudoLabelHook', **copy.deepcopy(entry.hook)))
        dataset_cfg = hook.dataset_cfg
        if dataset_cfg is None:  # the hook labels the training set's target, as here
            dataset_cfg = entry.cfg.train_dataloader.dataset
            dataset_cfg = dataset_cfg.get('target', dataset_cfg)
        dataset_cfg = copy.deepcopy(dataset_cfg)
        dataset_cfg.pop('pseudo_label_dir', None)
        self.clips = dataset_clips(DATASETS.build(dataset_cfg))
        if max_clips is not None:
            self.clips = self.clips[:max_clips]
        self.frames = sum(len(records) for _, records in self.clips)
        self.load_gt = None
        if with_p_miou and hook.label_dataset_cfg is not None:
            self.load_gt = ground_truth_fn(DATASETS.build(copy.deepcopy(hook.label_dataset_cfg)))
        self.aggregate = hook.aggregate
        self.flow_fn = None
        if self.aggregate is not None:
            self.flow_fn = file_flow_fn if hook.flow == 'files' else \
                estimator_flow_fn(FLOW_ESTIMATORS.build(copy.deepcopy(hook.flow)))
        self.inference_kwargs = dict(scale=hook.scale, keep_ratio=hook.keep_ratio,
                                     batch_size=hook.batch_size)
        self.kwargs = dict(instance=hook.instance, load_gt=self.load_gt,
                           cache_limit_mb=hook.cache_limit_mb)
        self.policy_cfg = hook.policy_cfg

    def inference(self, model_fn: Callable) -> None:
        """Plain inference over the same frames: read them, model softmax (as a test pass)."""
        predict = ClipPredictor(model_fn, **self.inference_kwargs)
        for _, records in self.clips:
            predict(records)

    def round(self, model_fn: Callable, out_dir: str) -> Dict[str, Any]:
        """Round 0 with a fresh policy (every repeat starts from the same state)."""
        policy = PSEUDO_LABEL_POLICIES.build(copy.deepcopy(self.policy_cfg))
        predictor = ClipPredictor(model_fn, aggregate=self.aggregate, flow_fn=self.flow_fn,
                                  **self.inference_kwargs)
        return generate_round(predictor, self.clips, policy, 0, out_dir=out_dir, progress=False,
                              **self.kwargs)


def time_rounds(entries: List[SpeedEntry], settings: SpeedSettings, device: torch.device,
                scratch: str, memory: PeakMemory, repeats: int) -> None:
    """Interleaved rounds and plain inferences of every self-training config; the first round
    of each is kept as the pseudo labels its training batch reads. ``repeats=0``: that one
    round only, untimed (``no_rounds``)."""
    for entry in entries:
        entry.round_setup = RoundSetup(entry, settings.round_clips, settings.with_p_miou)
    times: Dict[str, Dict[str, list]] = {e.name: dict(round=[], inference=[], timings=[], mem=[])
                                         for e in entries}
    for repeat in range(max(repeats, 1)):
        for entry in entries:
            setup, record = entry.round_setup, times[entry.name]
            entry.model.eval()
            model_fn = model_prob_fn(entry.model)
            with torch.no_grad():
                if repeats:
                    with Stopwatch(device) as watch:
                        setup.inference(model_fn)
                    record['inference'].append(watch)
                out_dir = osp.join(scratch, entry.file_stem, f'labels_{repeat}')
                with memory.measure() as mem, Stopwatch(device) as watch:
                    result = setup.round(model_fn, out_dir)
            entry.model.train()
            record['round'].append(watch)
            record['timings'].append(result['timings'])
            record['mem'].append(mem)
            if repeat == 0:
                entry.pseudo_label_dir = out_dir
                entry.labelled_clips = {clip_id for clip_id, _ in setup.clips}
                entry.result['pseudo_labelled_proportion'] = result['proportion']
            else:
                shutil.rmtree(out_dir, ignore_errors=True)
            if repeats:
                print(f'  round {repeat + 1}/{repeats} {entry.name}: {watch.wall:.2f} s '
                      f'(inference {record["inference"][-1].wall:.2f} s)', flush=True)
    if not repeats:
        return
    for entry in entries:
        record, setup = times[entry.name], entry.round_setup
        rnd, inference = summary(record['round']), summary(record['inference'])
        ratios = ratio_to(rnd, inference)
        keys = sorted({k for t in record['timings'] for k in t})
        memory_peak = peak_summary(memory.method, record['mem'])
        entry.result['pseudo_label_round'] = dict(
            seconds=rnd['seconds'], inference_seconds=inference['seconds'], **ratios,
            target=TARGETS['round'], met=ratios['ratio'] <= TARGETS['round'],
            frames=setup.frames, clips=len(setup.clips), policy=setup.policy_cfg.get('type'),
            instance=setup.kwargs['instance'], aggregate=setup.aggregate is not None,
            p_miou=setup.load_gt is not None,
            timings={k: median([t.get(k, 0.0) for t in record['timings']]) for k in keys},
            round=rnd, inference=inference,
            peak_mb=memory_peak['peak_mb'], increase_mb=memory_peak['increase_mb'],
            includes='generate_round as PseudoLabelHook runs it: read frames, model softmax, '
                     '[flow + temporal aggregation], policy (both passes for two-pass ones), '
                     'label PNG writes, stats, rename and CURRENT; inference: read + model')
        if settings.profile:
            entry.result['pseudo_label_round']['profile'] = profile_round(
                entry, device, scratch, settings.profile)


def profile_round(entry: SpeedEntry, device: torch.device, scratch: str, out_dir: str) -> str:
    """A torch.profiler table of one round of ``entry`` written to ``out_dir``; its path."""
    setup = entry.round_setup
    labels_dir = osp.join(scratch, 'profile_round')
    entry.model.eval()
    with torch.no_grad():
        result, prof = profiled(device, lambda: setup.round(model_prob_fn(entry.model), labels_dir))
    entry.model.train()
    shutil.rmtree(labels_dir, ignore_errors=True)
    path = osp.join(out_dir, entry.file_stem + '_round.txt')
    with atomic_write(path) as tmp:
        tmp.write_text(f'{entry.name}: one pseudo-label round over {setup.frames} frames, '
                       f'{result["seconds"]:.2f} s; generate_round timings (s): '
                       f'{result["timings"]}\n\n' + top_operators(prof, device, 30))
    return path
