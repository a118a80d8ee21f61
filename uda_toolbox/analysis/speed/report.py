"""Ratios to the reference, the targets met or missed, the machine, and the Markdown table."""
import datetime
import os
import platform
from typing import Any, Dict, List, Optional

import torch

from uda_toolbox.analysis.speed.entries import TARGETS, SpeedEntry


def add_ratios(entries: List[SpeedEntry], reference: SpeedEntry) -> None:
    """Every step (and step + load) relative to the reference's, and its target if any."""
    ref = reference.result
    ref_total = ref['step']['seconds'] + ref['load']['seconds']
    for entry in entries:
        res = entry.result
        res['step']['ratio'] = res['step']['seconds'] / ref['step']['seconds']
        res['step']['cpu_ratio'] = res['step']['cpu_seconds'] / ref['step']['cpu_seconds']
        total = res['step']['seconds'] + res['load']['seconds']
        res['step_plus_load'] = dict(seconds=total, ratio=total / ref_total)
        target = TARGETS.get(entry.family)
        if target is not None:
            res['target'] = dict(max_ratio=target, met=res['step']['ratio'] <= target,
                                 met_with_load=res['step_plus_load']['ratio'] <= target)


def machine(device: torch.device, load_average: Optional[List[float]]) -> Dict[str, Any]:
    """Where the figures were measured."""
    return dict(platform=platform.platform(), processor=platform.processor(),
                cpu_count=os.cpu_count(), torch=torch.__version__,
                threads=torch.get_num_threads(), device=str(device),
                gpu=torch.cuda.get_device_name(device) if device.type == 'cuda' else None,
                load_average_at_start=load_average)


def now() -> str:
    return datetime.datetime.now().isoformat(timespec='seconds')


def _met(flag: bool) -> str:
    return 'met' if flag else 'missed'


def speed_table(results: Dict[str, Any]) -> str:
    """Markdown table of the results (ratios to the reference)."""
    lines = ['| config | adaptor | s/it | x ref | x ref (CPU) | FLOP x ref | load s '
             '| x ref (+load) | peak MB (+step) | target | round s | inference s '
             '| round / inference (CPU) |',
             '|:---|:---|---:|---:|---:|---:|---:|---:|---:|:---|---:|---:|---:|']
    for name, res in results['configs'].items():
        target = res.get('target')
        target_cell = '-' if target is None else f'<= {target["max_ratio"]}x: {_met(target["met"])}'
        rnd = res.get('pseudo_label_round')
        round_cells = ['-', '-', '-'] if rnd is None else [
            f'{rnd["seconds"]:.2f}', f'{rnd["inference_seconds"]:.2f}',
            f'{rnd["ratio"]:.2f} ({rnd["cpu_ratio"]:.2f}) {_met(rnd["met"])}']
        mem = res['memory']
        profile = res['step'].get('profile')
        flops = '-' if profile is None else f'{profile["gflops_ratio"]:.2f}'
        lines.append(
            f'| {name} | {res["adaptor"]} | {res["step"]["seconds"]:.3f} | '
            f'{res["step"]["ratio"]:.2f} | {res["step"]["cpu_ratio"]:.2f} | {flops} | '
            f'{res["load"]["seconds"]:.3f} | '
            f'{res["step_plus_load"]["ratio"]:.2f} | {mem["peak_mb"]:.0f} '
            f'(+{mem["increase_mb"]:.0f}) | {target_cell} | ' + ' | '.join(round_cells) + ' |')
    ev = results.get('evaluation')
    if ev:
        lines.append('')
        lines.append(f'evaluation (mIoU + VPQ^s) of {ev["frames"]} frames: {ev["eval_seconds"]:.3f} s '
                     f'vs decoding the PNGs {ev["decode_seconds"]:.3f} s = {ev["ratio"]:.2f}x '
                     f'({ev["cpu_ratio"]:.2f}x in CPU time) '
                     f'(target <= {ev["target"]}x: {_met(ev["met"])})')
    return '\n'.join(lines)
