"""Every measurement of the speed benchmark, in the order they depend on each other."""
import dataclasses
import os
from typing import Any, Dict, List

import torch

from uda_toolbox.analysis.speed.batches import load_batches
from uda_toolbox.analysis.speed.entries import TARGETS, SpeedEntry, SpeedSettings
from uda_toolbox.analysis.speed.evaluation import time_evaluation
from uda_toolbox.analysis.speed.measure import PeakMemory
from uda_toolbox.analysis.speed.profile import add_flop_ratios, profile_step
from uda_toolbox.analysis.speed.report import add_ratios, machine, now
from uda_toolbox.analysis.speed.rounds import time_rounds
from uda_toolbox.analysis.speed.steps import time_steps

SETTINGS_REPORTED = ('iters', 'warmup', 'repeats', 'round_repeats', 'eval_repeats', 'seed',
                     'weights')


def measure_speed(entries: List[SpeedEntry], reference: SpeedEntry, first: SpeedEntry,
                  settings: SpeedSettings, device: torch.device, scratch: str) -> Dict[str, Any]:
    """Rounds (they publish the labels the self-training batches read), batches, steps,
    [profiles], evaluation; the results as ``tools/analysis/benchmark_speed.py`` writes them.

    ``entries`` hold built adaptors in train mode on ``device``; ``reference`` (one of them) is
    the source-only baseline of the ratios, ``first`` gives the batch and the test set; labels and
    other files go under ``scratch``.
    """
    memory = PeakMemory(device)
    load_average = list(os.getloadavg()) if hasattr(os, 'getloadavg') else None
    print(f'{len(entries)} configs on {device}, {torch.get_num_threads()} threads; '
          f'reference {reference.name}', flush=True)
    round_entries = [e for e in entries if e.hook is not None]
    if round_entries:
        repeats = 0 if settings.no_rounds else settings.round_repeats
        print('pseudo-label rounds' + (' (interleaved):' if repeats else ' (untimed)'), flush=True)
        time_rounds(round_entries, settings, device, scratch, memory, repeats)
    batch = load_batches(entries, first, settings, scratch)
    print(f'batch: items {batch["indices"]} of {first.name}, shapes {batch["shape"]}; '
          'timing steps (interleaved):', flush=True)
    time_steps(entries, settings, device, memory)
    if settings.profile:
        for entry in entries:
            entry.result['step']['profile'] = profile_step(entry, settings.iters, device,
                                                           settings.profile)
        add_flop_ratios(entries, reference)
    add_ratios(entries, reference)
    reported = {k: v for k, v in dataclasses.asdict(settings).items() if k in SETTINGS_REPORTED}
    results: Dict[str, Any] = dict(
        date=now(), machine=machine(device, load_average),
        settings=dict(reported, batch=batch, batch_from=first.path),
        targets=TARGETS, reference=reference.name,
        configs={e.name: e.result for e in entries})
    if not settings.no_eval:
        results['evaluation'] = time_evaluation(first.cfg, settings.seed, settings.eval_repeats,
                                                scratch)
    return results
