"""Speed benchmark of adaptors on one batch, in one process (issue 6 item 4).

``python tools/analysis/benchmark_speed.py CONFIG... [--iters N] [--warmup W] [--repeats R]
[--out JSON] [--device cpu|cuda] [--profile DIR]``

For every config it builds the adaptor and its optimizer wrapper(s) exactly as the Runner does
(``build_optim_wrapper``, so adversarial adaptors get their ``OptimWrapperDict``) and measures:

* **step**: seconds per ``train_step`` on one fixed batch already in memory (data preprocessor,
  forward passes, losses, backward, optimizer steps; no data loading). Every adaptor gets the
  same frames: items ``i`` of the first config's training set, each fetched with the same
  random state, so flips agree; a config reads them through its own training set, so
  self-training configs get their pseudo labels from disk (the round published below) and VST
  its flow. The ratio is to the reference (``SourceOnly`` without ``target_bn``;
  configs/source_only/synthetic.py is added when no config is one).
* **load**: seconds to read and collate that batch through the config's training pipeline
  (frames, labels, pseudo labels, flow); training does this in dataloader workers, overlapped
  with the step when a core is free, so it is reported apart and as step + load.
* **peak memory** of the steps: on CPU the resident set size high-water mark (``VmHWM``, reset
  through ``/proc/self/clear_refs`` before each config; the process holds every model, so the
  increase over the RSS before the steps is the step's own figure); on GPU
  ``torch.cuda.max_memory_allocated``.
* **pseudo-label round** (configs with a ``PseudoLabelHook``): one round as the hook runs it
  (``generate_round`` with the hook's policy, instance, aggregation, flow, scale and batch
  size; labels written to a temporary directory) relative to plain inference over the same
  frames (reading them and the model's softmax, as a test pass would). The hook's optional
  P-mIoU against ground truth is analysis only and left out unless ``--with-p-miou``.
* **evaluation**: ``ClipSegMetric`` (mIoU + VPQ^s) over predicted and ground-truth label PNGs of
  the first config's test set (the predictions are the ground truth with seeded noise) relative
  to only decoding the same PNGs.

Configs are interleaved round-robin over ``--repeats`` so that machine noise hits all alike,
and medians are reported, of wall-clock and of CPU seconds (the steadier figure on a shared
machine). ``--profile DIR`` also writes torch.profiler tables per config (time
per step phase and module, and the top operators), and per round. docs/performance.md has the
measured table and what the profiles show.
"""
import argparse
import copy
import ctypes
import datetime
import gc
import json
import os
import os.path as osp
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.runner.checkpoint import load_checkpoint  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from uda_toolbox import register_all_modules  # noqa: E402
from uda_toolbox.adaptors import AdversarialAdaptor, SelfTrainingAdaptor  # noqa: E402
from uda_toolbox.apis import substitute_work_dir  # noqa: E402
from uda_toolbox.pseudo_labels.predict import (  # noqa: E402
    ClipPredictor,
    dataset_clips,
    estimator_flow_fn,
    file_flow_fn,
    ground_truth_fn,
    model_prob_fn,
)
from uda_toolbox.pseudo_labels.round import generate_round  # noqa: E402
from uda_toolbox.registry import (  # noqa: E402
    DATASETS,
    FLOW_ESTIMATORS,
    METRICS,
    MODELS,
    PSEUDO_LABEL_POLICIES,
)
from uda_toolbox.utils import allow_toolbox_checkpoint_globals, atomic_write  # noqa: E402
from uda_toolbox.utils.classes import apply_label_map  # noqa: E402
from uda_toolbox.utils.io import load_label  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_REFERENCE = osp.join(REPO, 'configs', 'source_only', 'synthetic.py')

#: Targets of issue 6 (largest acceptable ratio); families are decided in :func:`family`.
TARGETS = dict(adversarial=1.4, vat=1.6, self_training=1.15, vst_refine=1.3, round=1.3,
               evaluation=1.5)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Speed benchmark of adaptors on one batch')
    parser.add_argument('configs', nargs='+', help='config files (the first gives the batch)')
    parser.add_argument('--iters', type=int, default=10, help='timed steps per config and repeat')
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps per config first')
    parser.add_argument('--repeats', type=int, default=5,
                        help='round-robin passes over the configs (medians are reported)')
    parser.add_argument('--round-repeats', type=int, default=3,
                        help='repeats of each pseudo-label round and of its plain inference')
    parser.add_argument('--eval-repeats', type=int, default=5, help='repeats of the evaluation')
    parser.add_argument('--round-clips', type=int, default=None,
                        help='time rounds on the first N target clips only (default: all)')
    parser.add_argument('--batch-size', type=int, default=None,
                        help='clips per domain in the batch (default: the first config\'s '
                        'train_dataloader.batch_size)')
    parser.add_argument('--reference', default=DEFAULT_REFERENCE,
                        help='source-only config added when no given config is one')
    parser.add_argument('--weights', choices=['auto', 'random'], default='auto',
                        help='auto: load a config\'s load_from when the file exists')
    parser.add_argument('--device', default=None, help='cpu or cuda (default: cuda if available)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-rounds', action='store_true',
                        help='do not time the pseudo-label rounds (one untimed round still '
                        'writes the labels the self-training batches read)')
    parser.add_argument('--no-eval', action='store_true', help='skip the evaluation timing')
    parser.add_argument('--with-p-miou', action='store_true',
                        help='rounds also compute P-mIoU when the hook has a label_dataset')
    parser.add_argument('--profile', metavar='DIR',
                        help='write torch.profiler tables of each config\'s step and round here')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every config, e.g. '
                        'train_dataloader.batch_size=2')
    args = parser.parse_args(argv)
    for name in ('iters', 'repeats', 'round_repeats', 'eval_repeats'):
        if getattr(args, name) < 1:
            raise SystemExit(f'--{name.replace("_", "-")} must be >= 1, got {getattr(args, name)}')
    if args.warmup < 0:
        raise SystemExit(f'--warmup must be >= 0, got {args.warmup}')
    return args


# ----------------------------------------------------------------------------- measuring
def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _status_kb(key: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class PeakMemory:
    """Peak memory of a block: RSS high-water mark on CPU, max allocated on GPU.

    On Linux, writing 5 to ``/proc/self/clear_refs`` resets ``VmHWM`` to the current RSS, so
    each block gets its own peak; freed heap is first returned to the system (``malloc_trim``)
    so that one config's leftovers inflate the next one's figure as little as possible.
    Elsewhere the process-lifetime ``ru_maxrss`` is all there is (``method`` says which).
    """

    def __init__(self, device: torch.device):
        self.device = device
        self._libc = None
        try:
            self._libc = ctypes.CDLL('libc.so.6')
        except OSError:
            pass
        self.method = 'cuda.max_memory_allocated' if device.type == 'cuda' else self._cpu_method()

    def _cpu_method(self) -> str:
        if _status_kb('VmHWM') is not None:
            try:
                with open('/proc/self/clear_refs', 'w') as f:
                    f.write('5')
                return 'VmHWM (reset per block)'
            except OSError:
                pass
        return 'ru_maxrss (process lifetime)'

    @contextmanager
    def measure(self) -> Iterator[Dict[str, float]]:
        out: Dict[str, float] = {}
        gc.collect()
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            before = torch.cuda.memory_allocated(self.device)
            yield out
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
            out.update(peak_mb=peak / 2 ** 20, increase_mb=(peak - before) / 2 ** 20)
            return
        if self._libc is not None:
            self._libc.malloc_trim(0)
        if self.method.startswith('VmHWM'):
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')
            before = _status_kb('VmRSS')
            yield out
            peak = _status_kb('VmHWM')
        else:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            yield out
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out.update(peak_mb=peak / 1024, increase_mb=(peak - before) / 1024)


def _median(values: List[float]) -> float:
    return float(statistics.median(values))


class Stopwatch:
    """Wall-clock and CPU seconds of this process over a block (device work synchronised).

    Other processes on a shared machine stretch the wall time but hardly this process's CPU
    time, so CPU-time ratios are the steadier figure there (single-threaded runs); on a GPU
    only the wall time means anything.
    """

    def __init__(self, device: torch.device, divisor: int = 1):
        self.device, self.divisor = device, divisor
        self.wall = self.cpu = 0.0

    def __enter__(self) -> 'Stopwatch':
        _sync(self.device)
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        _sync(self.device)
        self.wall = (time.perf_counter() - self._wall) / self.divisor
        self.cpu = (time.process_time() - self._cpu) / self.divisor


def summary(watches: List[Stopwatch], **extra) -> Dict[str, Any]:
    """Medians (and every repeat) of wall and CPU seconds."""
    return dict(seconds=_median([w.wall for w in watches]),
                cpu_seconds=_median([w.cpu for w in watches]),
                per_repeat=[w.wall for w in watches], per_repeat_cpu=[w.cpu for w in watches],
                **extra)


# ----------------------------------------------------------------------------- configs
def family(model: torch.nn.Module) -> str:
    """Which target of issue 6 applies: adversarial, vat, self_training, vst_refine, reference
    (source-only), or other (no target: oracle, AdaBN)."""
    name = type(model).__name__
    if name == 'SourceOnly':
        return 'reference' if not getattr(model, 'target_bn', False) else 'other'
    if name == 'VAT':
        return 'vat'
    if isinstance(model, AdversarialAdaptor) or name == 'MinEnt':
        return 'adversarial'  # MinEnt: ADVENT's entropy term, in the adversarial family
    if isinstance(model, SelfTrainingAdaptor):
        if name == 'VST' and getattr(model, 'refine', None) is not None:
            return 'vst_refine'
        return 'self_training'
    return 'other'


def config_name(path: str) -> str:
    """``configs/vst/synthetic_table4_cb.py`` -> ``vst/synthetic_table4_cb``."""
    path = osp.abspath(path)
    return f'{osp.basename(osp.dirname(path))}/{osp.splitext(osp.basename(path))[0]}'


def load_config(path: str, work_dir: str, cfg_options: Optional[dict]) -> Config:
    if not osp.isfile(path):
        raise SystemExit(f'config {path!r} does not exist')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = work_dir
    substitute_work_dir(cfg._cfg_dict, work_dir)
    return cfg


def pseudo_label_hook_cfg(cfg: Config) -> Optional[dict]:
    pseudo_labels = cfg.get('pseudo_labels')
    return None if pseudo_labels is None else copy.deepcopy(dict(pseudo_labels))


class Entry:
    """One config under test: its adaptor, optimizer wrapper(s), batch and results."""

    def __init__(self, name: str, path: str, cfg: Config, device: torch.device, seed: int,
                 weights: str):
        self.name, self.path, self.cfg = name, path, cfg
        torch.manual_seed(seed)
        self.model = MODELS.build(copy.deepcopy(cfg.model))
        self.model.init_weights()
        self.weights = 'random'
        load_from = cfg.get('load_from')
        if weights == 'auto' and load_from and osp.isfile(load_from):
            load_checkpoint(self.model, load_from, map_location='cpu', logger='silent')
            self.weights = load_from
        self.model.to(device)
        self.model.train()
        self.optim_wrapper = build_optim_wrapper(self.model, copy.deepcopy(cfg.optim_wrapper))
        self.family = family(self.model)
        self.hook = pseudo_label_hook_cfg(cfg)
        self.batch: Optional[dict] = None
        self.dataset = None
        self.pseudo_label_dir: Optional[str] = None  # the round its training batch reads
        self.labelled_clips: set = set()  # the clips that round labelled
        self.round_setup: Optional[RoundSetup] = None
        self.result: Dict[str, Any] = dict(config=path, adaptor=type(self.model).__name__,
                                           family=self.family, weights=self.weights)


# ----------------------------------------------------------------------------- the batch
def train_dataset_cfg(cfg: Config, pseudo_label_dir: Optional[str]) -> dict:
    """The config's training set; the target's pseudo labels come from ``pseudo_label_dir``."""
    dataset = copy.deepcopy(cfg.train_dataloader.dataset)
    target = dataset.get('target')
    if isinstance(target, dict) and target.get('pseudo_label_dir') is not None:
        if pseudo_label_dir is None:
            raise ValueError('internal: a self-training config needs its round first')
        target['pseudo_label_dir'] = pseudo_label_dir
    return dataset


def fetch_items(dataset: Any, indices: List[int], seed: int) -> List[dict]:
    """Items of ``dataset`` with the random state of each index fixed (same flips everywhere)."""
    items = []
    for k, idx in enumerate(indices):
        np.random.seed(seed + k)
        items.append(dataset[idx % len(dataset)])  # modulo: a shorter set (the oracle's)
    return items


def frame_paths(batch: dict) -> List[Tuple[str, ...]]:
    # Source-free configs (docs/source_free.md) have target batches only.
    return [tuple(meta.img_paths) for domain in ('source', 'target') if domain in batch
            for meta in batch[domain]['meta']]


def batch_shape(batch: dict) -> Dict[str, List[int]]:
    return {domain: list(torch.stack(list(batch[domain]['inputs'])).shape)
            for domain in ('source', 'target') if domain in batch}


# ----------------------------------------------------------------------------- profiling
@contextmanager
def _scopes(model: torch.nn.Module, optim_wrapper: Any) -> Iterator[None]:
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


def _profile_table(prof: Any, steps: int, device: torch.device) -> str:
    """Named phases (rows starting with #) and the top operators by self time."""
    events = prof.key_averages()
    use_cuda = device.type == 'cuda'

    def total(e):
        return (e.device_time_total if use_cuda else e.cpu_time_total) / 1e3 / steps

    phases = sorted((e for e in events if e.key.startswith('#')), key=total, reverse=True)
    lines = [f'time per step (ms, {"device" if use_cuda else "CPU"} total incl. children) '
             'of the named phases:']
    lines += [f'  {total(e):9.2f}  {e.key}' for e in phases]
    sort_by = 'self_cuda_time_total' if use_cuda else 'self_cpu_time_total'
    lines.append('\ntop operators by self time (all steps):')
    lines.append(events.table(sort_by=sort_by, row_limit=25))
    return '\n'.join(lines)


def profile_step(entry: Entry, steps: int, device: torch.device, out_dir: str
                 ) -> Dict[str, Any]:
    """Profile ``steps`` train steps (table written to ``out_dir``) and count one step's FLOPs."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with _scopes(entry.model, entry.optim_wrapper):
        with torch.profiler.profile(activities=activities) as prof:
            for _ in range(steps):
                entry.model.train_step(entry.batch, entry.optim_wrapper)
            _sync(device)
    # What one step must compute (forward and backward convolutions, matrix products), to
    # hold the measured ratios against: a time ratio near the FLOP ratio is compute-bound.
    with FlopCounterMode(display=False) as counter:
        entry.model.train_step(entry.batch, entry.optim_wrapper)
    gflops = counter.get_total_flops() / 1e9
    path = osp.join(out_dir, entry.name.replace('/', '__') + '_step.txt')
    with atomic_write(path) as tmp:
        tmp.write_text(f'{entry.name}: {steps} train steps, {gflops:.2f} GFLOP per step '
                       '(counted operators)\n' + _profile_table(prof, steps, device))
    return dict(file=path, gflops_per_step=gflops)


# ----------------------------------------------------------------------------- rounds
class RoundSetup:
    """What the PseudoLabelHook gives ``generate_round``, built the way the hook builds it."""

    def __init__(self, entry: Entry, max_clips: Optional[int], with_p_miou: bool):
        hook = entry.hook
        cfg = entry.cfg
        dataset_cfg = hook.get('dataset')
        if dataset_cfg is None:
            dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
            dataset_cfg = dataset_cfg.get('target', dataset_cfg)
        dataset_cfg = copy.deepcopy(dataset_cfg)
        dataset_cfg.pop('pseudo_label_dir', None)
        self.clips = dataset_clips(DATASETS.build(dataset_cfg))
        if max_clips is not None:
            self.clips = self.clips[:max_clips]
        self.frames = sum(len(records) for _, records in self.clips)
        self.load_gt = None
        if with_p_miou and hook.get('label_dataset') is not None:
            self.load_gt = ground_truth_fn(DATASETS.build(copy.deepcopy(hook['label_dataset'])))
        self.aggregate = hook.get('aggregate')
        self.flow_fn = None
        if self.aggregate is not None:
            flow = hook.get('flow', 'files')
            self.flow_fn = file_flow_fn if flow == 'files' else \
                estimator_flow_fn(FLOW_ESTIMATORS.build(copy.deepcopy(flow)))
        self.inference_kwargs = dict(scale=hook.get('scale'),
                                     keep_ratio=hook.get('keep_ratio', True),
                                     batch_size=hook.get('batch_size', 8))
        self.kwargs = dict(instance=hook.get('instance', 'clip'), load_gt=self.load_gt,
                           cache_limit_mb=hook.get('cache_limit_mb', 1024.0))
        self.policy_cfg = hook['policy']

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


def time_rounds(entries: List[Entry], args, device: torch.device, scratch: str,
                memory: PeakMemory, repeats: int) -> None:
    """Interleaved rounds and plain inferences of every self-training config; the first round
    of each is kept as the pseudo labels its training batch reads. ``repeats=0``: that one
    round only, untimed (``--no-rounds``)."""
    setups = {e.name: RoundSetup(e, args.round_clips, args.with_p_miou) for e in entries}
    for entry in entries:
        entry.round_setup = setups[entry.name]
    times: Dict[str, Dict[str, list]] = {e.name: dict(round=[], inference=[], timings=[], mem=[])
                                         for e in entries}
    for repeat in range(max(repeats, 1)):
        for entry in entries:
            setup, record = setups[entry.name], times[entry.name]
            entry.model.eval()
            model_fn = model_prob_fn(entry.model)
            with torch.no_grad():
                if repeats:
                    with Stopwatch(device) as watch:
                        setup.inference(model_fn)
                    record['inference'].append(watch)
                out_dir = osp.join(scratch, entry.name.replace('/', '__'), f'labels_{repeat}')
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
        record, setup = times[entry.name], setups[entry.name]
        rnd, inference = summary(record['round']), summary(record['inference'])
        ratio = rnd['seconds'] / inference['seconds']
        keys = sorted({k for t in record['timings'] for k in t})
        entry.result['pseudo_label_round'] = dict(
            seconds=rnd['seconds'], inference_seconds=inference['seconds'], ratio=ratio,
            cpu_ratio=rnd['cpu_seconds'] / inference['cpu_seconds'],
            target=TARGETS['round'], met=ratio <= TARGETS['round'],
            frames=setup.frames, clips=len(setup.clips), policy=setup.policy_cfg.get('type'),
            instance=setup.kwargs['instance'], aggregate=setup.aggregate is not None,
            p_miou=setup.load_gt is not None,
            timings={k: _median([t.get(k, 0.0) for t in record['timings']]) for k in keys},
            round=rnd, inference=inference,
            peak_mb=max(m['peak_mb'] for m in record['mem']),
            increase_mb=max(m['increase_mb'] for m in record['mem']),
            includes='generate_round as PseudoLabelHook runs it: read frames, model softmax, '
                     '[flow + temporal aggregation], policy (both passes for two-pass ones), '
                     'label PNG writes, stats, rename and CURRENT; inference: read + model')
        if args.profile:
            entry.model.eval()
            activities = [torch.profiler.ProfilerActivity.CPU]
            if device.type == 'cuda':
                activities.append(torch.profiler.ProfilerActivity.CUDA)
            out_dir = osp.join(scratch, 'profile_round')
            with torch.no_grad(), torch.profiler.profile(activities=activities) as prof:
                result = setup.round(model_prob_fn(entry.model), out_dir)
                _sync(device)
            entry.model.train()
            shutil.rmtree(out_dir, ignore_errors=True)
            path = osp.join(args.profile, entry.name.replace('/', '__') + '_round.txt')
            sort_by = 'self_cuda_time_total' if device.type == 'cuda' else 'self_cpu_time_total'
            with atomic_write(path) as tmp:
                tmp.write_text(f'{entry.name}: one pseudo-label round over {setup.frames} frames, '
                               f'{result["seconds"]:.2f} s; generate_round timings (s): '
                               f'{result["timings"]}\n\n'
                               + prof.key_averages().table(sort_by=sort_by, row_limit=30))
            entry.result['pseudo_label_round']['profile'] = path


# ----------------------------------------------------------------------------- evaluation
def time_evaluation(cfg: Config, args, scratch: str) -> Dict[str, Any]:
    """ClipSegMetric over label PNGs vs. decoding them (the first config's test set)."""
    dataset = DATASETS.build(copy.deepcopy(cfg.test_dataloader.dataset))
    rng = np.random.default_rng(args.seed)
    label_map = getattr(dataset, 'label_map', None)
    num_classes = len(dataset.metainfo['classes'])
    frames = []
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        gt = load_label(info['seg_map_paths'][0])
        if label_map:
            gt = apply_label_map(gt, label_map, info['seg_map_paths'][0])
        # A plausible prediction: the ground truth, void filled and 20% of pixels changed.
        pred = np.where(gt == 255, rng.integers(0, num_classes, gt.shape), gt)
        noise = rng.random(gt.shape) < 0.2
        pred[noise] = rng.integers(0, num_classes, int(noise.sum()))
        stem = f'{info["clip_id"]}_{info["frame_ids"][0]:05d}'
        paths = []
        for kind, array in (('pred', pred), ('gt', gt)):
            path = osp.join(scratch, 'evaluation', kind, stem + '.png')
            os.makedirs(osp.dirname(path), exist_ok=True)
            if not cv2.imwrite(path, array.astype(np.uint8)):
                raise OSError(f'cannot write {path!r}')
            paths.append(path)
        frames.append((info['clip_id'], info['frame_ids'][0], *paths))
    batch_size = cfg.test_dataloader.get('batch_size', 1)

    def decode() -> None:
        for _, _, pred_path, gt_path in frames:
            load_label(pred_path)
            load_label(gt_path)

    def evaluate() -> dict:
        metric = METRICS.build(copy.deepcopy(cfg.test_evaluator))
        metric.dataset_meta = dataset.metainfo
        for start in range(0, len(frames), batch_size):
            samples = [dict(pred_sem_seg=dict(data=load_label(pred_path)),
                            gt_sem_seg=dict(data=load_label(gt_path)),
                            clip_id=clip_id, frame_idx=frame_idx)
                       for clip_id, frame_idx, pred_path, gt_path in frames[start:start + batch_size]]
            metric.process(None, samples)
        return metric.evaluate(len(frames))

    decode_watches, eval_watches = [], []
    for _ in range(args.eval_repeats):  # main() keeps the metric's INFO tables quiet
        with Stopwatch(torch.device('cpu')) as watch:
            decode()
        decode_watches.append(watch)
        with Stopwatch(torch.device('cpu')) as watch:
            metrics = evaluate()
        eval_watches.append(watch)
    decode_t, eval_t = summary(decode_watches), summary(eval_watches)
    ratio = eval_t['seconds'] / decode_t['seconds']
    return dict(frames=len(frames), decode_seconds=decode_t['seconds'],
                eval_seconds=eval_t['seconds'], ratio=ratio,
                cpu_ratio=eval_t['cpu_seconds'] / decode_t['cpu_seconds'],
                target=TARGETS['evaluation'], met=ratio <= TARGETS['evaluation'],
                decode=decode_t, eval=eval_t, mIoU=metrics.get('mIoU'), VPQ=metrics.get('VPQ'),
                includes='eval: decode prediction + label PNGs (load_label) and '
                         'ClipSegMetric.process per test batch, then evaluate (mIoU, VPQ^s for '
                         'every window, tables); decode: the same load_label calls only')


# ----------------------------------------------------------------------------- main
def build_entries(args, scratch: str, device: torch.device) -> Tuple[List[Entry], Entry]:
    entries = []
    for path in args.configs:
        name = config_name(path)
        if any(e.name == name for e in entries):
            raise SystemExit(f'config {path!r} is given twice')
        cfg = load_config(path, osp.join(scratch, name.replace('/', '__')), args.cfg_options)
        entries.append(Entry(name, path, cfg, device, args.seed, args.weights))
    reference = next((e for e in entries if e.family == 'reference'), None)
    if reference is None:
        name = config_name(args.reference)
        cfg = load_config(args.reference, osp.join(scratch, 'reference'), args.cfg_options)
        reference = Entry(name, args.reference, cfg, device, args.seed, args.weights)
        if reference.family != 'reference':
            raise SystemExit(f'--reference {args.reference!r} must be a SourceOnly config '
                             f'(without target_bn), got {reference.result["adaptor"]}')
        reference.result['added_as_reference'] = True
        entries.insert(0, reference)
    return entries, reference


def cover_batch_clips(entry: Entry, indices: List[int], scratch: str) -> None:
    """With ``--round-clips`` the timed rounds label some clips only: label the clips of the
    batch in one more (untimed) round when they are not among them."""
    dataset = DATASETS.build(train_dataset_cfg(entry.cfg, entry.pseudo_label_dir))
    target = getattr(dataset, 'target', dataset)
    needed = {target.get_data_info(i % len(target))['clip_id'] for i in indices}
    if needed <= entry.labelled_clips:
        return
    setup = copy.copy(entry.round_setup)
    setup.clips = [clip for clip in dataset_clips(target) if clip[0] in needed]
    out_dir = osp.join(scratch, entry.name.replace('/', '__'), 'labels_batch')
    entry.model.eval()
    with torch.no_grad():
        setup.round(model_prob_fn(entry.model), out_dir)
    entry.model.train()
    entry.pseudo_label_dir, entry.labelled_clips = out_dir, needed


def load_batches(entries: List[Entry], first: Entry, args, scratch: str) -> Dict[str, Any]:
    """Build each config's training set, fetch the shared items and time the fetch."""
    length = len(DATASETS.build(train_dataset_cfg(first.cfg, first.pseudo_label_dir)))
    batch_size = args.batch_size or first.cfg.train_dataloader.get('batch_size', 1)
    indices = [int(i) for i in np.random.default_rng(args.seed).integers(0, length, batch_size)]
    dataset_cfgs = {}
    for entry in entries:
        if entry.hook is not None:
            cover_batch_clips(entry, indices, scratch)
        dataset_cfgs[entry.name] = train_dataset_cfg(entry.cfg, entry.pseudo_label_dir)
    first.dataset = DATASETS.build(dataset_cfgs[first.name])
    reference_items = pseudo_collate(fetch_items(first.dataset, indices, args.seed))
    expected = frame_paths(reference_items)
    for entry in entries:
        if entry is not first:
            entry.dataset = DATASETS.build(dataset_cfgs[entry.name])
        entry.batch = pseudo_collate(fetch_items(entry.dataset, indices, args.seed))
        if frame_paths(entry.batch) != expected:
            if entry.result.get('added_as_reference'):
                # The added reference reads the first config's data (minus pseudo labels).
                ref_cfg = copy.deepcopy(dataset_cfgs[first.name])
                if isinstance(ref_cfg.get('target'), dict):
                    ref_cfg['target'].pop('pseudo_label_dir', None)
                entry.dataset = DATASETS.build(ref_cfg)
                entry.batch = pseudo_collate(fetch_items(entry.dataset, indices, args.seed))
                entry.result['data_from'] = first.path
            else:
                # E.g. the oracle's target set keeps labelled frames only: same shapes, other
                # frames; the step costs the same, but say so.
                warnings.warn(f'{entry.path}: its training set gives other frames than '
                              f'{first.path} for the same items (same batch shape); timing it '
                              'on its own frames.', stacklevel=2)
        entry.result['same_frames'] = frame_paths(entry.batch) == expected
    load_times: Dict[str, list] = {e.name: [] for e in entries}
    for _ in range(args.repeats):
        for entry in entries:
            with Stopwatch(torch.device('cpu')) as watch:
                pseudo_collate(fetch_items(entry.dataset, indices, args.seed))
            load_times[entry.name].append(watch)
    for entry in entries:
        entry.result['load'] = summary(
            load_times[entry.name],
            includes='dataset items through the config\'s training pipeline (frames, labels or '
                     'pseudo labels, flow, flip, pack) and pseudo_collate; in training this runs '
                     'in dataloader workers')
    return dict(indices=indices, batch_size=batch_size, shape=batch_shape(reference_items))


def time_steps(entries: List[Entry], args, device: torch.device, memory: PeakMemory) -> None:
    for entry in entries:  # warm-up (first-call allocations, optimizer state)
        for _ in range(args.warmup):
            entry.model.train_step(entry.batch, entry.optim_wrapper)
    per_repeat: Dict[str, list] = {e.name: [] for e in entries}
    mems: Dict[str, list] = {e.name: [] for e in entries}
    for repeat in range(args.repeats):
        for entry in entries:
            with memory.measure() as mem, Stopwatch(device, args.iters) as watch:
                for _ in range(args.iters):
                    entry.model.train_step(entry.batch, entry.optim_wrapper)
            per_repeat[entry.name].append(watch)
            mems[entry.name].append(mem)
        print(f'  steps: repeat {repeat + 1}/{args.repeats} done', flush=True)
    for entry in entries:
        entry.result['step'] = summary(
            per_repeat[entry.name],
            includes='train_step on the in-memory batch: data preprocessor, forwards, losses, '
                     'backward and every optimizer step (no data loading)')
        entry.result['memory'] = dict(
            method=memory.method, peak_mb=max(m['peak_mb'] for m in mems[entry.name]),
            increase_mb=max(m['increase_mb'] for m in mems[entry.name]))


def summarise(entries: List[Entry], reference: Entry) -> None:
    ref_step = reference.result['step']['seconds']
    ref_total = ref_step + reference.result['load']['seconds']
    for entry in entries:
        res = entry.result
        res['step']['ratio'] = res['step']['seconds'] / ref_step
        res['step']['cpu_ratio'] = (res['step']['cpu_seconds']
                                    / reference.result['step']['cpu_seconds'])
        total = res['step']['seconds'] + res['load']['seconds']
        res['step_plus_load'] = dict(seconds=total, ratio=total / ref_total)
        target = TARGETS.get(entry.family)
        if target is not None:
            res['target'] = dict(max_ratio=target, met=res['step']['ratio'] <= target,
                                 met_with_load=res['step_plus_load']['ratio'] <= target)


def table(results: Dict[str, Any]) -> str:
    """Markdown table of the results (ratios to the reference)."""
    lines = ['| config | adaptor | s/it | x ref | x ref (CPU) | FLOP x ref | load s '
             '| x ref (+load) | peak MB (+step) | target | round s | inference s '
             '| round / inference (CPU) |',
             '|:---|:---|---:|---:|---:|---:|---:|---:|---:|:---|---:|---:|---:|']
    for name, res in results['configs'].items():
        target = res.get('target')
        target_cell = '-' if target is None else \
            f'<= {target["max_ratio"]}x: {"met" if target["met"] else "missed"}'
        rnd = res.get('pseudo_label_round')
        round_cells = ['-', '-', '-'] if rnd is None else [
            f'{rnd["seconds"]:.2f}', f'{rnd["inference_seconds"]:.2f}',
            f'{rnd["ratio"]:.2f} ({rnd["cpu_ratio"]:.2f}) {"met" if rnd["met"] else "missed"}']
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
                     f'(target <= {ev["target"]}x: {"met" if ev["met"] else "missed"})')
    return '\n'.join(lines)


def run(args, device: torch.device, scratch: str) -> Dict[str, Any]:
    """Every measurement, in this order: rounds (they publish the labels the self-training
    batches read), batches, steps, [profiles], evaluation."""
    memory = PeakMemory(device)
    load_average = list(os.getloadavg()) if hasattr(os, 'getloadavg') else None
    entries, reference = build_entries(args, scratch, device)
    first = next(e for e in entries if osp.abspath(e.path) == osp.abspath(args.configs[0]))
    print(f'{len(entries)} configs on {device}, {torch.get_num_threads()} threads; '
          f'reference {reference.name}', flush=True)
    round_entries = [e for e in entries if e.hook is not None]
    if round_entries:
        repeats = 0 if args.no_rounds else args.round_repeats
        print('pseudo-label rounds' + (' (interleaved):' if repeats else ' (untimed)'), flush=True)
        time_rounds(round_entries, args, device, scratch, memory, repeats)
    batch = load_batches(entries, first, args, scratch)
    print(f'batch: items {batch["indices"]} of {first.name}, shapes {batch["shape"]}; '
          'timing steps (interleaved):', flush=True)
    time_steps(entries, args, device, memory)
    if args.profile:
        for entry in entries:
            entry.result['step']['profile'] = profile_step(entry, args.iters, device, args.profile)
        for entry in entries:
            entry.result['step']['profile']['gflops_ratio'] = (
                entry.result['step']['profile']['gflops_per_step']
                / reference.result['step']['profile']['gflops_per_step'])
    summarise(entries, reference)
    results: Dict[str, Any] = dict(
        date=datetime.datetime.now().isoformat(timespec='seconds'),
        machine=dict(platform=platform.platform(), processor=platform.processor(),
                     cpu_count=os.cpu_count(), torch=torch.__version__,
                     threads=torch.get_num_threads(), device=str(device),
                     gpu=torch.cuda.get_device_name(device) if device.type == 'cuda' else None,
                     load_average_at_start=load_average),
        settings=dict(iters=args.iters, warmup=args.warmup, repeats=args.repeats,
                      round_repeats=args.round_repeats, eval_repeats=args.eval_repeats,
                      seed=args.seed, weights=args.weights, batch=batch, batch_from=first.path),
        targets=TARGETS, reference=reference.name,
        configs={e.name: e.result for e in entries})
    if not args.no_eval:
        results['evaluation'] = time_evaluation(first.cfg, args, scratch)
    return results


def main(argv=None) -> Dict[str, Any]:
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    allow_toolbox_checkpoint_globals()
    device = torch.device(args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix='benchmark_speed_')
    # Weight initialisation logs every parameter at INFO, the metric its tables: this tool
    # prints its own progress.
    logger = MMLogger.get_current_instance()
    log_level = logger.level
    logger.setLevel('WARNING')
    try:
        results = run(args, device, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        logger.setLevel(log_level)
    results['command'] = ' '.join(['python tools/analysis/benchmark_speed.py']
                                  + list(sys.argv[1:] if argv is None else argv))
    print(table(results))
    if args.out:
        with atomic_write(args.out) as tmp:
            tmp.write_text(json.dumps(results, indent=1))
        print(f'results written to {args.out}')
    return results


if __name__ == '__main__':
    main()
