"""Before/after timings of pseudo-label rounds and of the evaluation, and the identity of what
they write (issue 24, ``tools/analysis/benchmark_rounds_eval.py``,
docs/performance_rounds_and_eval.md).

The same measurement runs in one subprocess per source tree: the tree given as *before* (an
older checkout, e.g. ``git worktree add /tmp/before main``) and this one (*after*). Each
subprocess puts its tree first on ``sys.path`` and loads this file by path, so the code below
uses only interfaces both trees have (config loading, the registries, ``PseudoLabelHook``'s
settings, ``ClipPredictor``, ``generate_round``, ``ClipSegMetric``). The trees alternate
``alternations`` times so that machine noise hits both alike; medians are reported.

In every subprocess:

* **round**: for each config, its adaptor built with ``seed`` (plus ``checkpoint``'s segmentor
  weights), the first ``clips`` clips of the hook's dataset, one untimed warm-up, then
  ``repeats`` x (plain inference over the same frames, round 0 as the hook runs it);
* **files**: rounds 0 and 1 of every config written under ``files_dir`` (label PNGs,
  ``stats.json``, ``CURRENT``), and the evaluation's metrics as ``evaluation.json``;
* **evaluation**: ``ClipSegMetric`` over the first config's annotated test frames (predictions:
  ground truth with seeded noise) against decoding the same PNGs, ``repeats`` times.

The parent then hashes both trees' files (sha256; ``stats.json`` without its ``seconds`` and
``timings``, the only fields that measure time) and prints the table.
"""
import copy
import hashlib
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config

#: Fields of a round's stats.json that are clock readings, left out of its digest.
TIME_FIELDS = ('seconds', 'timings')


# ----------------------------------------------------------------------------- one tree
def load_config(path: str) -> Config:
    """The config as ``uda_toolbox.apis.config.load_config`` reads it (no yapf formatting; the
    analysis layer sits below apis)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config {path!r} does not exist')
    cfg = Config.fromfile(path, format_python_code=False)
    object.__setattr__(cfg, '_format_python_code', False)
    return cfg


class _Clock:
    def __enter__(self) -> '_Clock':
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _model(cfg: Any, seed: int, checkpoint: Optional[str]) -> torch.nn.Module:
    from uda_toolbox.registry import MODELS

    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    if checkpoint:
        state = torch.load(checkpoint, map_location='cpu', weights_only=True)
        state = state.get('state_dict', state)
        segmentor = {k: v for k, v in state.items() if k.startswith('segmentor.')}
        if not segmentor:
            raise KeyError(f'{checkpoint}: no segmentor.* weights in its state_dict')
        model.load_state_dict(segmentor, strict=False)
    return model.eval()


class _RoundJob:
    """What the PseudoLabelHook of ``config`` gives ``generate_round`` (the hook is built from
    the config's own arguments, so every setting and default is the hook's)."""

    def __init__(self, config: str, clips: int, seed: int, checkpoint: Optional[str]):
        from uda_toolbox.pseudo_labels.predict import dataset_clips, file_flow_fn, model_prob_fn
        from uda_toolbox.registry import DATASETS, HOOKS

        cfg = load_config(config)
        hook = HOOKS.build(dict(type='PseudoLabelHook', **copy.deepcopy(cfg.pseudo_labels)))
        if hook.flow != 'files':
            raise ValueError(f'{config}: the benchmark reads flow files; pseudo_labels.flow='
                             f'{hook.flow!r} is not supported here')
        dataset_cfg = hook.dataset_cfg
        if dataset_cfg is None:
            dataset_cfg = cfg.train_dataloader.dataset
            dataset_cfg = dataset_cfg.get('target', dataset_cfg)
        dataset_cfg = copy.deepcopy(dataset_cfg)
        dataset_cfg.pop('pseudo_label_dir', None)
        self.name = config
        self.clips = dataset_clips(DATASETS.build(dataset_cfg))[:clips]
        self.frames = sum(len(records) for _, records in self.clips)
        self.hook = hook
        self.policy_type = hook.policy_cfg.get('type')
        self.flow_fn = file_flow_fn if hook.aggregate is not None else None
        self.model_fn = model_prob_fn(_model(cfg, seed, checkpoint))
        self.predict_kwargs = dict(scale=hook.scale, keep_ratio=hook.keep_ratio,
                                   batch_size=hook.batch_size)

    def inference(self) -> None:
        from uda_toolbox.pseudo_labels.predict import ClipPredictor

        predict = ClipPredictor(self.model_fn, **self.predict_kwargs)
        for _, records in self.clips:
            predict(records)

    def rounds(self, out_dir: str, count: int = 1) -> dict:
        from uda_toolbox.pseudo_labels.predict import ClipPredictor
        from uda_toolbox.pseudo_labels.round import generate_round
        from uda_toolbox.registry import PSEUDO_LABEL_POLICIES

        policy = PSEUDO_LABEL_POLICIES.build(copy.deepcopy(self.hook.policy_cfg))
        predictor = ClipPredictor(self.model_fn, aggregate=self.hook.aggregate,
                                  flow_fn=self.flow_fn, **self.predict_kwargs)
        for round_idx in range(count):
            summary = generate_round(predictor, self.clips, policy, round_idx, out_dir=out_dir,
                                     progress=False, instance=self.hook.instance,
                                     cache_limit_mb=self.hook.cache_limit_mb)
        return summary


def _evaluation(config: str, seed: int, repeats: int, scratch: str, files_dir: str) -> dict:
    # The loop of evaluation.time_evaluation, written out: an older *before* tree may lack any
    # helper added for it (module docstring: only interfaces both trees have).
    from uda_toolbox.analysis.speed.evaluation import write_prediction_pairs
    from uda_toolbox.registry import METRICS
    from uda_toolbox.utils.io import load_label

    cfg = load_config(config)
    dataset, frames = write_prediction_pairs(cfg, seed, scratch)
    batch_size = cfg.test_dataloader.get('batch_size', 1)

    def decode() -> None:
        for _, _, pred_path, gt_path in frames:
            load_label(pred_path)
            load_label(gt_path)

    def evaluate() -> dict:
        metric = METRICS.build(copy.deepcopy(cfg.test_evaluator))
        metric.dataset_meta = dataset.metainfo
        for start in range(0, len(frames), batch_size):
            metric.process(None, [dict(pred_sem_seg=dict(data=load_label(p)),
                                       gt_sem_seg=dict(data=load_label(g)),
                                       clip_id=clip_id, frame_idx=frame_idx)
                                  for clip_id, frame_idx, p, g in frames[start:start + batch_size]])
        return metric.evaluate(len(frames))

    decode_t, eval_t = [], []
    for _ in range(repeats):
        with _Clock() as clock:
            decode()
        decode_t.append(clock)
        with _Clock() as clock:
            metrics = evaluate()
        eval_t.append(clock)
    with open(osp.join(files_dir, 'evaluation.json'), 'w') as f:
        json.dump(metrics, f, indent=1, sort_keys=True)
    return dict(frames=len(frames), decode=_medians(decode_t), evaluation=_medians(eval_t))


def _medians(clocks: List[_Clock]) -> Dict[str, float]:
    return dict(wall=statistics.median(c.wall for c in clocks),
                cpu=statistics.median(c.cpu for c in clocks))


def measure_tree(configs: Sequence[str], clips: int, repeats: int, seed: int,
                 files_dir: Optional[str], checkpoint: Optional[str] = None) -> Dict[str, Any]:
    """Round and evaluation timings of the ``uda_toolbox`` this process imports; with
    ``files_dir``, also rounds 0-1 of every config and the evaluation metrics written there."""
    from mmengine.logging import MMLogger

    from uda_toolbox import register_all_modules

    register_all_modules(init_default_scope=True)
    MMLogger.get_current_instance().setLevel('WARNING')  # init and metric tables log at INFO
    torch.set_num_threads(1)
    results: Dict[str, Any] = dict(tree=osp.dirname(osp.dirname(_package_file())), rounds={})
    with tempfile.TemporaryDirectory(prefix='rounds_eval_') as scratch:
        for config in configs:
            job = _RoundJob(config, clips, seed, checkpoint)
            with torch.no_grad():
                if files_dir:
                    job.rounds(osp.join(files_dir, _stem(config)), count=2)
                job.inference()  # warm-up (allocator, caches), untimed
                job.rounds(osp.join(scratch, _stem(config), 'warm'))
                inference_t, round_t, parts = [], [], []
                for repeat in range(repeats):
                    with _Clock() as clock:
                        job.inference()
                    inference_t.append(clock)
                    with _Clock() as clock:
                        summary = job.rounds(osp.join(scratch, _stem(config), str(repeat)))
                    round_t.append(clock)
                    parts.append(summary.get('timings', {}))
            results['rounds'][config] = dict(policy=job.policy_type, frames=job.frames,
                                             aggregate=job.hook.aggregate is not None,
                                             inference=_medians(inference_t),
                                             round=_medians(round_t),
                                             # generate_round's own split (wall s): model, read,
                                             # flow, aggregate, policy, write
                                             parts={k: statistics.median(p.get(k, 0.0) for p in parts)
                                                    for k in sorted(set().union(*parts))})
        results['evaluation'] = _evaluation(configs[0], seed, repeats, scratch,
                                            files_dir or scratch)
    return results


def _package_file() -> str:
    import uda_toolbox

    return uda_toolbox.__file__


def _stem(config: str) -> str:
    return '__'.join(osp.splitext(osp.normpath(config))[0].split(os.sep)[-2:])


def worker_main(argv: Sequence[str]) -> None:
    """Entry of a subprocess: ``argv`` = [JSON of measure_tree's arguments, output JSON path]."""
    kwargs, out = json.loads(argv[0]), argv[1]
    with open(out, 'w') as f:
        json.dump(measure_tree(**kwargs), f, indent=1)


# ----------------------------------------------------------------------------- both trees
def file_digests(directory: str) -> Dict[str, str]:
    """sha256 of every file under ``directory`` by relative path; a ``stats.json`` is hashed
    without its clock readings (:data:`TIME_FIELDS`)."""
    digests = {}
    for root, _, files in os.walk(directory):
        for name in files:
            path = osp.join(root, name)
            with open(path, 'rb') as f:
                data = f.read()
            if name == 'stats.json':
                stats = {k: v for k, v in json.loads(data).items() if k not in TIME_FIELDS}
                data = json.dumps(stats, sort_keys=True).encode()
            digests[osp.relpath(path, directory)] = hashlib.sha256(data).hexdigest()
    return dict(sorted(digests.items()))


def _run_tree(tree: str, kwargs: dict, scratch: str, tag: str) -> dict:
    out = osp.join(scratch, f'{tag}.json')
    code = ('import sys, importlib.util; sys.path.insert(0, sys.argv[1]); '
            'spec = importlib.util.spec_from_file_location("rounds_eval_worker", sys.argv[2]); '
            'module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module); '
            'module.worker_main(sys.argv[3:])')
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    subprocess.run([sys.executable, '-c', code, tree, osp.abspath(__file__), json.dumps(kwargs), out],
                   check=True, env=env)
    with open(out) as f:
        return json.load(f)


def compare_trees(before: str, configs: Sequence[str], clips: int = 10, repeats: int = 3,
                  alternations: int = 2, seed: int = 0, checkpoint: Optional[str] = None,
                  files_dir: Optional[str] = None) -> Dict[str, Any]:
    """Measure ``before`` and this tree alternately; the results, the digests of both trees'
    files and whether they are identical."""
    after = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    trees = dict(before=osp.abspath(before), after=after)
    for side, tree in trees.items():
        if not osp.isfile(osp.join(tree, 'uda_toolbox', '__init__.py')):
            raise FileNotFoundError(f'{side} tree {tree!r} has no uda_toolbox package; give the '
                                    'root of a checkout (git worktree add DIR <commit>)')
    configs = [osp.abspath(c) for c in configs]
    checkpoint = osp.abspath(checkpoint) if checkpoint else None
    files_dir = osp.abspath(files_dir) if files_dir else None
    runs: Dict[str, List[dict]] = dict(before=[], after=[])
    with tempfile.TemporaryDirectory(prefix='rounds_eval_cmp_') as scratch:
        files_root = files_dir or osp.join(scratch, 'files')
        for alternation in range(alternations):
            for side, tree in trees.items():
                files = osp.join(files_root, side) if alternation == 0 else None
                kwargs = dict(configs=configs, clips=clips, repeats=repeats, seed=seed,
                              files_dir=files, checkpoint=checkpoint)
                print(f'[{alternation + 1}/{alternations}] {side}: {tree}', flush=True)
                runs[side].append(_run_tree(tree, kwargs, scratch, f'{side}_{alternation}'))
        digests = {side: file_digests(osp.join(files_root, side)) for side in trees}
    return dict(trees=trees, settings=dict(clips=clips, repeats=repeats, alternations=alternations,
                                           seed=seed, checkpoint=checkpoint,
                                           load_average=list(os.getloadavg())),
                rounds=_combine(runs, 'rounds'), evaluation=_combine(runs, 'evaluation'),
                digests=digests, identical=_identical(digests))


def _combine(runs: Dict[str, List[dict]], key: str) -> Dict[str, Any]:
    """Medians over the alternations of every timing, per side."""
    def merge(items: List[Any]) -> Any:
        if isinstance(items[0], dict):
            return {k: merge([i[k] for i in items]) for k in items[0]}
        if isinstance(items[0], float):
            return statistics.median(items)
        return items[0]
    return {side: merge([r[key] for r in side_runs]) for side, side_runs in runs.items()}


def _identical(digests: Dict[str, Dict[str, str]]) -> Dict[str, Any]:
    before, after = digests['before'], digests['after']
    differ = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return dict(files=len(after), differ=differ, all=not differ and bool(after))


def rounds_eval_table(results: Dict[str, Any]) -> str:
    """The printed table: seconds (wall / CPU medians) before and after, ratios and speed-ups."""
    lines = ['config (policy, frames)                             | before: infer  round  ratio | '
             'after: infer  round  ratio | round speed-up (CPU)']
    before, after = results['rounds']['before'], results['rounds']['after']
    for config, b in before.items():
        a = after[config]
        row = f'{_stem(config)} ({b["policy"]}, {b["frames"]})'
        cells = []
        for r in (b, a):
            cells.append(f'{r["inference"]["cpu"]:6.2f} {r["round"]["cpu"]:6.2f} '
                         f'{r["round"]["cpu"] / r["inference"]["cpu"]:5.2f}x')
        lines.append(f'{row:<52}| {cells[0]:>19} | {cells[1]:>18} | '
                     f'{b["round"]["cpu"] / a["round"]["cpu"]:.2f}x')
    lines.append('evaluation (frames)                                 | before: decode  eval  ratio | '
                 'after: decode  eval  ratio | eval speed-up (CPU)')
    eb, ea = results['evaluation']['before'], results['evaluation']['after']
    cells = [f'{e["decode"]["cpu"]:6.2f} {e["evaluation"]["cpu"]:6.2f} '
             f'{e["evaluation"]["cpu"] / e["decode"]["cpu"]:5.2f}x' for e in (eb, ea)]
    lines.append(f'{"mIoU + VPQ (" + str(ea["frames"]) + ")":<52}| {cells[0]:>19} | {cells[1]:>18} | '
                 f'{eb["evaluation"]["cpu"] / ea["evaluation"]["cpu"]:.2f}x')
    same = results['identical']
    lines.append(f'files: {same["files"]} compared by sha256, '
                 + ('all identical' if same['all'] else f'{len(same["differ"])} differ: '
                    + ', '.join(same['differ'][:10])))
    lines.append('CPU seconds, medians (one thread); wall-clock figures are in the JSON')
    return '\n'.join(lines)
