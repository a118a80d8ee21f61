"""The analyses behind ``tools/analysis/``: the speed benchmark and the pseudo-label quality
(Table 7). This module loads the configs and builds the adaptors; ``uda_toolbox.analysis``
measures."""
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import MMLogger

from uda_toolbox.analysis.pseudo_label_quality import analyse_pseudo_labels, quality_table
from uda_toolbox.analysis.speed import (
    SpeedEntry,
    SpeedSettings,
    config_name,
    measure_speed,
    speed_table,
)
from uda_toolbox.apis.config import finish_config, load_config, merge_options
from uda_toolbox.apis.inference import init_adaptor
from uda_toolbox.utils import allow_toolbox_checkpoint_globals, atomic_write


def _register() -> None:
    from uda_toolbox import register_all_modules

    register_all_modules(init_default_scope=True)
    allow_toolbox_checkpoint_globals()


def write_json(path: Optional[str], results: Dict[str, Any]) -> None:
    if path:
        with atomic_write(path) as tmp:
            tmp.write_text(json.dumps(results, indent=1))
        print(f'results written to {path}')


# ----------------------------------------------------------------------------- speed
def speed_entry(path: str, work_dir: str, cfg_options: Optional[dict], settings: SpeedSettings,
                device: torch.device) -> SpeedEntry:
    """A config under test: loaded with its runs' work dir in ``work_dir``, its adaptor built
    with ``settings.seed`` (and its ``load_from`` weights when ``settings.weights='auto'`` and
    the file exists), in train mode on ``device``."""
    cfg = load_config(path)
    merge_options(cfg, cfg_options)
    finish_config(cfg, work_dir)
    torch.manual_seed(settings.seed)
    load_from = cfg.get('load_from')
    weights = load_from if settings.weights == 'auto' and load_from and osp.isfile(load_from) \
        else 'random'
    model = init_adaptor(cfg, None if weights == 'random' else weights, device, init_weights=True)
    model.train()
    return SpeedEntry(config_name(path), path, cfg, model, weights)


def speed_entries(configs: Sequence[str], reference: str, cfg_options: Optional[dict],
                  settings: SpeedSettings, device: torch.device, scratch: str
                  ) -> Tuple[List[SpeedEntry], SpeedEntry, SpeedEntry]:
    """``(entries, the reference, the first config's entry)``; ``reference`` is added first when
    no config is a source-only one (without target BatchNorm statistics)."""
    entries = []
    for path in configs:
        name = config_name(path)
        if any(e.name == name for e in entries):
            raise SystemExit(f'config {path!r} is given twice')
        work_dir = osp.join(scratch, name.replace('/', '__'))
        entries.append(speed_entry(path, work_dir, cfg_options, settings, device))
    ref = next((e for e in entries if e.family == 'reference'), None)
    if ref is None:
        ref = speed_entry(reference, osp.join(scratch, 'reference'), cfg_options, settings, device)
        if ref.family != 'reference':
            raise SystemExit(f'--reference {reference!r} must be a SourceOnly config '
                             f'(without target_bn), got {ref.result["adaptor"]}')
        ref.result['added_as_reference'] = True
        entries.insert(0, ref)
    first = next(e for e in entries if osp.abspath(e.path) == osp.abspath(configs[0]))
    return entries, ref, first


def benchmark_speed(configs: Sequence[str], reference: str,
                    settings: Optional[SpeedSettings] = None, device: Optional[str] = None,
                    cfg_options: Optional[dict] = None, out: Optional[str] = None,
                    command: str = '') -> Dict[str, Any]:
    """Time every config (``uda_toolbox.analysis.speed``), print the table, write ``out`` (JSON)
    and return the results; ``command`` is recorded in them. docs/performance.md."""
    settings = settings or SpeedSettings()
    _register()
    device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    if settings.profile:
        os.makedirs(settings.profile, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix='benchmark_speed_')
    # Weight initialisation logs every parameter at INFO, the metric its tables: the benchmark
    # prints its own progress.
    logger = MMLogger.get_current_instance()
    log_level = logger.level
    logger.setLevel('WARNING')
    try:
        entries, ref, first = speed_entries(configs, reference, cfg_options, settings, device,
                                            scratch)
        results = measure_speed(entries, ref, first, settings, device, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        logger.setLevel(log_level)
    results['command'] = command
    print(speed_table(results))
    write_json(out, results)
    return results


def benchmark_rounds_eval(before: str, configs: Sequence[str], clips: int = 10, repeats: int = 3,
                          alternations: int = 2, seed: int = 0, checkpoint: Optional[str] = None,
                          files_dir: Optional[str] = None, out: Optional[str] = None,
                          command: str = '') -> Dict[str, Any]:
    """Pseudo-label rounds and evaluation timed in the ``before`` tree and in this one, their
    files compared by sha256 (``uda_toolbox.analysis.speed.before_after``); prints the table,
    writes ``out`` (JSON). docs/performance_rounds_and_eval.md."""
    from uda_toolbox.analysis.speed.before_after import compare_trees, rounds_eval_table

    results = compare_trees(before, configs, clips=clips, repeats=repeats,
                            alternations=alternations, seed=seed, checkpoint=checkpoint,
                            files_dir=files_dir)
    results['command'] = command
    print(rounds_eval_table(results))
    write_json(out, results)
    return results


# ----------------------------------------------------------------------------- Table 7
def pseudo_label_quality(config: str, checkpoint: Optional[str] = None, batch_size: int = 8,
                         timing: bool = True, out: Optional[str] = None) -> Dict[str, Any]:
    """P-mIoU of the policies of the config's ``pseudo_label_quality`` entry at equal labelled
    proportions (``uda_toolbox.analysis.pseudo_label_quality``), printed as a table, written to
    ``out`` (JSON) and returned. ``checkpoint`` defaults to the config's ``load_from``."""
    _register()
    cfg = load_config(config)
    if cfg.get('pseudo_label_quality') is None:
        raise SystemExit(f'{config} has no pseudo_label_quality entry '
                         '(see configs/vst/synthetic_table7.py)')
    checkpoint = checkpoint or cfg.get('load_from')
    if not checkpoint or not osp.isfile(checkpoint):
        raise SystemExit(f'checkpoint {checkpoint!r} does not exist: pass the model to analyse '
                         '(e.g. work_dirs/vat_synthetic/iter_400.pth)')
    model = init_adaptor(cfg, checkpoint, device='cpu').eval()
    print(f'model {checkpoint}', flush=True)
    results = dict(config=config, checkpoint=checkpoint,
                   **analyse_pseudo_labels(cfg, model, batch_size=batch_size, timing=timing))
    print(quality_table(results, cfg.pseudo_label_quality))
    write_json(out, results)
    return results
