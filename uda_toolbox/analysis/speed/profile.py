"""torch.profiler tables of a config's training step (per named phase) and of a pseudo-label
round, and the FLOPs of one step."""
import os.path as osp
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Tuple

import torch
from torch.utils.flop_counter import FlopCounterMode

from uda_toolbox.analysis.speed.entries import SpeedEntry
from uda_toolbox.analysis.speed.measure import sync
from uda_toolbox.utils import atomic_write


@contextmanager
def named_phases(model: torch.nn.Module, optim_wrapper: Any) -> Iterator[None]:
    """Name the phases of a step for torch.profiler: the adaptor's step methods, the module
    forwards (backbone, heads, discriminators) and the optimizer wrappers' updates. The
    wrappers are instance attributes, removed on exit."""
    patched: List[Tuple[Any, str]] = []

    def wrap(obj: Any, attr: str, label: str) -> None:
        fn = getattr(obj, attr, None)
        if fn is None or attr in vars(obj):
            return

        def scoped(*args, **kwargs):
            with torch.profiler.record_function(label):
                return fn(*args, **kwargs)

        setattr(obj, attr, scoped)
        patched.append((obj, attr))

    for method in ('train_segmentor', 'train_discriminator', 'segmentor_losses', 'loss',
                   'target_labels', 'regularizer'):
        wrap(model, method, f'## {method}')
    wrap(model.data_preprocessor, 'forward', '## data_preprocessor')
    segmentor = getattr(model, 'segmentor', None)
    for part in ('backbone', 'decode_head', 'auxiliary_head'):
        module = getattr(segmentor, part, None)
        if isinstance(module, torch.nn.Module):
            wrap(module, 'forward', f'# forward segmentor.{part}')
    for name, module in getattr(model, 'discriminator', {}).items():
        wrap(module, 'forward', f'# forward discriminator.{name}')
    wrappers = optim_wrapper.items() if hasattr(optim_wrapper, 'items') else [('', optim_wrapper)]
    for name, wrapper in wrappers:
        suffix = f'[{name}]' if name else ''
        wrap(wrapper, 'backward', f'## backward{suffix}')
        wrap(wrapper, 'step', f'## optimizer step{suffix}')
    try:
        yield
    finally:
        for obj, attr in patched:
            delattr(obj, attr)


def profiled(device: torch.device, work: Callable[[], Any]) -> Tuple[Any, Any]:
    """Run ``work`` under torch.profiler (CPU, and CUDA on a GPU); ``(its result, profile)``."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as prof:
        result = work()
        sync(device)
    return result, prof


def top_operators(prof: Any, device: torch.device, rows: int) -> str:
    """The ``rows`` operators with the largest self time."""
    sort_by = 'self_cuda_time_total' if device.type == 'cuda' else 'self_cpu_time_total'
    return prof.key_averages().table(sort_by=sort_by, row_limit=rows)


def phase_table(prof: Any, steps: int, device: torch.device) -> str:
    """Named phases (rows starting with #) and the top operators by self time."""
    use_cuda = device.type == 'cuda'

    def total(e):
        return (e.device_time_total if use_cuda else e.cpu_time_total) / 1e3 / steps

    phases = sorted((e for e in prof.key_averages() if e.key.startswith('#')), key=total,
                    reverse=True)
    lines = [f'time per step (ms, {"device" if use_cuda else "CPU"} total incl. children) '
             'of the named phases:']
    lines += [f'  {total(e):9.2f}  {e.key}' for e in phases]
    lines.append('\ntop operators by self time (all steps):')
    lines.append(top_operators(prof, device, 25))
    return '\n'.join(lines)


def profile_step(entry: SpeedEntry, steps: int, device: torch.device, out_dir: str
                 ) -> Dict[str, Any]:
    """Profile ``steps`` train steps (table written to ``out_dir``) and count one step's FLOPs."""
    def train() -> None:
        for _ in range(steps):
            entry.model.train_step(entry.batch, entry.optim_wrapper)

    with named_phases(entry.model, entry.optim_wrapper):
        _, prof = profiled(device, train)
    # What one step must compute (forward and backward convolutions, matrix products), to
    # hold the measured ratios against: a time ratio near the FLOP ratio is compute-bound.
    with FlopCounterMode(display=False) as counter:
        entry.model.train_step(entry.batch, entry.optim_wrapper)
    gflops = counter.get_total_flops() / 1e9
    path = osp.join(out_dir, entry.file_stem + '_step.txt')
    with atomic_write(path) as tmp:
        tmp.write_text(f'{entry.name}: {steps} train steps, {gflops:.2f} GFLOP per step '
                       '(counted operators)\n' + phase_table(prof, steps, device))
    return dict(file=path, gflops_per_step=gflops)


def add_flop_ratios(entries: List[SpeedEntry], reference: SpeedEntry) -> None:
    """Each profiled step's FLOPs relative to the reference's."""
    ref_gflops = reference.result['step']['profile']['gflops_per_step']
    for entry in entries:
        profile = entry.result['step']['profile']
        profile['gflops_ratio'] = profile['gflops_per_step'] / ref_gflops
