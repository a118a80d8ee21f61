"""Seconds and peak memory of ``train_step`` on the in-memory batch, interleaved over configs."""
from typing import Dict, List

import torch

from uda_toolbox.analysis.speed.entries import SpeedEntry, SpeedSettings
from uda_toolbox.analysis.speed.measure import PeakMemory, Stopwatch, peak_summary, summary


def time_steps(entries: List[SpeedEntry], settings: SpeedSettings, device: torch.device,
               memory: PeakMemory) -> None:
    """``settings.warmup`` untimed steps per config, then ``settings.repeats`` round-robin
    passes of ``settings.iters`` timed steps each (so machine noise hits every config alike)."""
    for entry in entries:  # warm-up (first-call allocations, optimizer state)
        for _ in range(settings.warmup):
            entry.model.train_step(entry.batch, entry.optim_wrapper)
    per_repeat: Dict[str, list] = {e.name: [] for e in entries}
    mems: Dict[str, list] = {e.name: [] for e in entries}
    for repeat in range(settings.repeats):
        for entry in entries:
            with memory.measure() as mem, Stopwatch(device, settings.iters) as watch:
                for _ in range(settings.iters):
                    entry.model.train_step(entry.batch, entry.optim_wrapper)
            per_repeat[entry.name].append(watch)
            mems[entry.name].append(mem)
        print(f'  steps: repeat {repeat + 1}/{settings.repeats} done', flush=True)
    for entry in entries:
        entry.result['step'] = summary(
            per_repeat[entry.name],
            includes='train_step on the in-memory batch: data preprocessor, forwards, losses, '
                     'backward and every optimizer step (no data loading)')
        entry.result['memory'] = peak_summary(memory.method, mems[entry.name])
