"""Pseudo-label rounds during training: before the first iteration and every ``interval`` iterations.

The hook runs the current segmentor in eval mode over every frame of the target training clips,
asks a policy (``PSEUDO_LABEL_POLICIES``) for the labels and publishes them as a new round
(``uda_toolbox.pseudo_labels.generator.generate_round``); the target ``ClipDataset`` reads the
round named in ``<pseudo_label_dir>/CURRENT`` for every item (dataloader workers are separate
processes, so files and a pointer are how a round reaches them). docs/pseudo_labels.md.

Distributed runs: every process takes rank 0's weights and BatchNorm statistics, predicts its
share of the clips and writes its labels; the threshold statistics are combined so the files are
those of one process, and rank 0 publishes the round once all are written (``generate_round``
with ``distributed=True``; docs/pseudo_labels.md, "Sharded rounds").

Resume: the number of finished rounds and the policy state (e.g. IAST's EMA thresholds) are saved
in every checkpoint. A resumed run points CURRENT back at the last round its checkpoint knew,
deletes later or half-written rounds (they belong to the interrupted future) and regenerates them
when their iteration comes, from the same policy state.
"""
import copy
import os
import os.path as osp
import re
import shutil
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.models.utils import resize
from torch import Tensor

from uda_toolbox.datasets.transforms import apply_label_map, load_label
from uda_toolbox.engine.dist import broadcast_model_state
from uda_toolbox.flow import read_flow
from uda_toolbox.pseudo_labels.generator import generate_round
from uda_toolbox.registry import DATASETS, FLOW_ESTIMATORS, HOOKS, PSEUDO_LABEL_POLICIES
from uda_toolbox.utils.pseudo_label_files import TMP_SUFFIX, publish_current, round_index, round_name

CHECKPOINT_KEY = 'pseudo_labels'


# ----------------------------------------------------------------------------- callables
def model_prob_fn(model: torch.nn.Module) -> Callable[[Tensor], Tensor]:
    """``frames -> probabilities`` of an adaptor (or an mmseg segmentor) for the generator.

    Frames (K, 3, H, W) uint8 BGR are normalised as the model's data preprocessor does in
    training (channel order, mean, std), then ``model.segment`` (adaptors) or the segmentor's
    decode head upsampled bilinearly gives logits at input size; the result is their softmax.
    The caller puts the model in eval mode.
    """
    model = model.module if is_model_wrapper(model) else model
    pre = getattr(model, 'data_preprocessor', None)
    device = next(model.parameters()).device

    def fn(frames: Tensor) -> Tensor:
        x = frames.to(device).float()
        if getattr(pre, 'channel_conversion', False):
            x = x[:, [2, 1, 0]]
        if getattr(pre, '_enable_normalize', False):
            x = (x - pre.mean.view(1, -1, 1, 1)) / pre.std.view(1, -1, 1, 1)
        if hasattr(model, 'segment'):
            logits = model.segment(x[:, None])[:, 0]
        else:
            segmentor = getattr(model, 'segmentor', model)
            logits = resize(segmentor._forward(x), size=x.shape[-2:], mode='bilinear',
                            align_corners=segmentor.align_corners)
        return logits.softmax(dim=1)

    return fn


def file_flow_fn(record_a: dict, record_b: dict, frame_a: np.ndarray,
                 frame_b: np.ndarray) -> np.ndarray:
    """Flow from frame a to its neighbour b read from the dataset's flow files
    (``flow_fw_path`` / ``flow_bw_path`` of a), resized to the frames' size with its values
    scaled accordingly."""
    step = record_b['frame_idx'] - record_a['frame_idx']
    if abs(step) != 1:
        raise ValueError(f'flow files link consecutive frames; {record_a["img_path"]!r} and '
                         f'{record_b["img_path"]!r} are {step} frames apart (a gap in the clip)')
    key = 'flow_fw_path' if step == 1 else 'flow_bw_path'
    path = record_a.get(key)
    if path is None:
        raise FileNotFoundError(
            f'no {key[5:7]} flow file for frame {record_a["img_path"]!r}: set data_prefix.flow_path '
            'of the target dataset (precompute flow with tools/data/compute_flow.py) or estimate '
            "flow on the fly with PseudoLabelHook(flow=dict(type='OpenCVDISFlow')).")
    flow = read_flow(path)
    h, w = frame_a.shape[:2]
    if flow.shape[:2] != (h, w):
        scale = np.array([w / flow.shape[1], h / flow.shape[0]], np.float32)
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) * scale
    return flow


def estimator_flow_fn(estimator: Callable[[np.ndarray, np.ndarray], np.ndarray]):
    """Adapt a flow estimator ``(frame_a, frame_b) -> flow a->b`` to the generator's FlowFn."""
    def fn(record_a: dict, record_b: dict, frame_a: np.ndarray, frame_b: np.ndarray) -> np.ndarray:
        return estimator(frame_a, frame_b)
    return fn


def dataset_clips(dataset: Any) -> List[Tuple[str, List[dict]]]:
    """``(clip_id, frame records)`` of a ClipDataset, each record also holding its ``clip_id``."""
    if not (hasattr(dataset, 'clip_ids') and hasattr(dataset, 'clip_frames')):
        raise TypeError(f'PseudoLabelHook needs a clip dataset (with clip_ids() and clip_frames()), '
                        f'got {type(dataset).__name__}')
    clips = []
    for clip_id in dataset.clip_ids():
        clips.append((clip_id, [dict(f, clip_id=clip_id) for f in dataset.clip_frames(clip_id)]))
    return clips


def ground_truth_fn(dataset: Any) -> Callable[[dict], Optional[np.ndarray]]:
    """``record -> ground truth`` (train ids) of the frames a labelled ClipDataset has, else None."""
    paths = {(clip_id, f['frame_idx']): f['seg_map_path']
             for clip_id, frames in dataset_clips(dataset) for f in frames
             if f.get('seg_map_path')}
    label_map = getattr(dataset, 'label_map', None)

    def fn(record: dict) -> Optional[np.ndarray]:
        path = paths.get((record['clip_id'], record['frame_idx']))
        if path is None:
            return None
        label = load_label(path)
        return apply_label_map(label, label_map, path) if label_map else label

    return fn


# ----------------------------------------------------------------------------- the hook
@HOOKS.register_module()
class PseudoLabelHook(Hook):
    """Generate pseudo-label rounds for self-training (CBST, CRST, IAST, VST).

    Args:
        policy: Config of the threshold policy (``ClassBalancedPolicy``,
            ``InstanceAdaptivePolicy``, ``ClipAdaptivePolicy``).
        interval: A new round after every ``interval`` training iterations (round 0 runs before
            the first iteration; no round after the last iteration).
        instance: What the policy thresholds at once: ``'clip'`` (clip-adaptive, seed Eq. 11) or
            a number of consecutive frames (1: each image is an instance, as the seed paper
            describes IAST). Irrelevant for class-balanced labels.
        aggregate: None, or the options of VST's temporally aggregated predictions (seed Eq. 10),
            ``dict()`` for the defaults (``alpha``, ``th`` = 0.7, see
            ``generator.aggregate_clip``).
        flow: Where aggregation gets flow: ``'files'`` (the target dataset's ``flow_path``
            files) or an estimator config from ``FLOW_ESTIMATORS`` (e.g.
            ``dict(type='OpenCVDISFlow')``).
        dataset: Config of the target dataset whose clips are labelled; None takes the
            runner's training dataset (its ``.target`` for a ``UDADataset``).
        pseudo_label_dir: Where rounds are written; None takes the dataset's
            ``pseudo_label_dir`` (they must agree). ``{work_dir}`` is replaced by the run's.
        label_dataset: Optional config of a labelled dataset over the same clips (the target
            ground truth) for P-mIoU. Analysis only: nothing trains on it.
        scale, keep_ratio: Inference size as ``ClipResize`` (None: frame size); labels are
            written at the frame size.
        batch_size: Frames per forward pass.
        keep_rounds: Keep only this many latest rounds on disk (None: all; at least 2 when
            resuming matters, since a resumed run may need the round before the last).
        cache_limit_mb: Memory for the predictions of two-pass policies between their passes.
        progress: Show a progress bar during a round.
        max_rounds: Stop generating after this many rounds (None: no limit).
    """

    priority = 'NORMAL'  # before CheckpointHook (VERY_LOW): a checkpoint includes the new round

    def __init__(self, policy: dict, interval: int = 200, instance: Union[str, int] = 'clip',
                 aggregate: Optional[dict] = None, flow: Union[str, dict] = 'files',
                 dataset: Optional[dict] = None, pseudo_label_dir: Optional[str] = None,
                 label_dataset: Optional[dict] = None, scale: Optional[Sequence[int]] = None,
                 keep_ratio: bool = True, batch_size: int = 8, keep_rounds: Optional[int] = None,
                 cache_limit_mb: float = 1024.0, progress: bool = True,
                 max_rounds: Optional[int] = None) -> None:
        if interval < 1:
            raise ValueError(f'PseudoLabelHook: interval must be >= 1, got {interval}')
        if keep_rounds is not None and keep_rounds < 1:
            raise ValueError(f'PseudoLabelHook: keep_rounds must be None or >= 1, got {keep_rounds}')
        if flow != 'files' and not isinstance(flow, dict):
            raise ValueError("PseudoLabelHook: flow must be 'files' or a FLOW_ESTIMATORS config, "
                             f'got {flow!r}')
        self.policy_cfg = copy.deepcopy(policy)
        self.policy = PSEUDO_LABEL_POLICIES.build(copy.deepcopy(policy))
        self.interval = interval
        self.instance = instance
        self.aggregate = None if aggregate is None else dict(aggregate)
        self.flow = flow
        self.dataset_cfg = dataset
        self.pseudo_label_dir_cfg = pseudo_label_dir
        self.label_dataset_cfg = label_dataset
        self.scale = scale
        self.keep_ratio = keep_ratio
        self.batch_size = batch_size
        self.keep_rounds = keep_rounds
        self.cache_limit_mb = cache_limit_mb
        self.progress = progress
        self.max_rounds = max_rounds
        self.rounds_done = 0
        self.history: List[Dict[str, Any]] = []
        self.pseudo_label_dir: Optional[str] = None
        self._loaded_state: Optional[dict] = None
        self._clips: Optional[List[Tuple[str, List[dict]]]] = None
        self._load_gt = None
        self._flow_fn = None

    # ------------------------------------------------------------------ checkpoints
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = dict(rounds_done=self.rounds_done,
                                          policy=self.policy.state_dict(),
                                          history=copy.deepcopy(self.history))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Called for ``load_from`` (initial weights) and for ``resume``; before_train tells them
        # apart by the iteration (a resumed run does not start at 0).
        self._loaded_state = copy.deepcopy(checkpoint.get(CHECKPOINT_KEY))

    # ------------------------------------------------------------------ training
    def before_train(self, runner) -> None:
        self._setup(runner)
        state = self._loaded_state if runner.iter > 0 else None
        self._loaded_state = None
        if runner.iter > 0 and state is None:
            warnings.warn(f'PseudoLabelHook: resumed at iteration {runner.iter} from a checkpoint '
                          'without pseudo-label state; starting a new round 0.', stacklevel=2)
        # Dataloader workers start prefetching when the train loop is built, before this hook
        # runs: CURRENT is re-pointed *before* any round a worker may still be reading goes away.
        if state is None or state.get('rounds_done', 0) < 1:
            if is_main_process():
                publish_current(self.pseudo_label_dir, None)
            self._remove_rounds(lambda idx: True)
            self.rounds_done = 0
            self.history = []
            self.policy = PSEUDO_LABEL_POLICIES.build(copy.deepcopy(self.policy_cfg))
            self._run_round(runner, runner.iter)
            return
        self.policy.load_state_dict(state['policy'])
        self.rounds_done = int(state['rounds_done'])
        self.history = list(state.get('history', []))
        last = self.rounds_done - 1
        last_dir = osp.join(self.pseudo_label_dir, round_name(last))
        found = osp.isdir(last_dir)
        if is_main_process():
            publish_current(self.pseudo_label_dir, round_name(last) if found else None)
        # Rounds after the checkpoint's last one, and half-written ones, are the interrupted
        # run's future: remove them; they are regenerated at their iteration.
        self._remove_rounds(lambda idx: idx > last)
        if found:
            runner.logger.info(f'PseudoLabelHook: resumed with {self.rounds_done} round(s); '
                               f'training reads {last_dir}')
        else:
            warnings.warn(f'PseudoLabelHook: {last_dir} (the round of the resumed checkpoint) is '
                          'missing; regenerating it with the current weights.', stacklevel=2)
            self.rounds_done = last
            self._run_round(runner, runner.iter)

    def after_train_iter(self, runner, batch_idx: int, data_batch: Any = None,
                         outputs: Any = None) -> None:
        if not self.every_n_train_iters(runner, self.interval):
            return
        if runner.iter + 1 >= runner.max_iters:
            return  # nothing would train on it
        if self.max_rounds is not None and self.rounds_done >= self.max_rounds:
            return
        self._run_round(runner, runner.iter + 1)

    # ------------------------------------------------------------------ internals
    def _setup(self, runner) -> None:
        """Find the target dataset, the pseudo-label directory, flow and ground truth."""
        if self.dataset_cfg is not None:
            dataset = DATASETS.build(_format_work_dir(copy.deepcopy(self.dataset_cfg), runner))
        else:
            dataset = runner.train_dataloader.dataset
            dataset = getattr(dataset, 'target', dataset)
        if hasattr(dataset, 'full_init'):
            dataset.full_init()
        dataset_dir = getattr(dataset, 'pseudo_label_dir', None)
        hook_dir = self.pseudo_label_dir_cfg
        if hook_dir is not None:
            hook_dir = hook_dir.replace('{work_dir}', runner.work_dir)
        if dataset_dir is None and self.dataset_cfg is None:
            raise ValueError(
                'PseudoLabelHook: the target training dataset has no pseudo_label_dir, so it would '
                "never read the pseudo labels. Set pseudo_label_dir='{work_dir}/pseudo_labels' in "
                'train_dataloader.dataset.target (see configs/_base_/datasets/synthetic_self_training.py).')
        if hook_dir is not None and dataset_dir is not None and \
                osp.abspath(hook_dir) != osp.abspath(dataset_dir):
            raise ValueError(f'PseudoLabelHook: pseudo_label_dir {hook_dir!r} differs from the '
                             f"target dataset's {dataset_dir!r}; set one of them only.")
        self.pseudo_label_dir = hook_dir or dataset_dir
        if self.pseudo_label_dir is None:
            raise ValueError('PseudoLabelHook: no pseudo_label_dir: set it on the hook or on the '
                             'target dataset it labels.')
        if '{work_dir}' in self.pseudo_label_dir:
            raise ValueError(f'pseudo_label_dir {self.pseudo_label_dir!r} still holds {{work_dir}}: '
                             'train with tools/train.py, which replaces it, or give a real path.')
        os.makedirs(self.pseudo_label_dir, exist_ok=True)
        self._clips = dataset_clips(dataset)
        if self.label_dataset_cfg is not None:
            label_dataset = DATASETS.build(copy.deepcopy(self.label_dataset_cfg))
            self._load_gt = ground_truth_fn(label_dataset)
        if self.aggregate is not None:
            self._flow_fn = file_flow_fn if self.flow == 'files' else \
                estimator_flow_fn(FLOW_ESTIMATORS.build(copy.deepcopy(self.flow)))

    def _run_round(self, runner, iteration: int) -> None:
        """Generate round ``rounds_done`` after ``iteration`` training iterations (sharded over the
        processes of a distributed run; every process returns once it is published) and log its
        figures."""
        round_idx = self.rounds_done
        policy_before = copy.deepcopy(self.policy.state_dict())
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        # Every process predicts with the weights rank 0's checkpoints hold.
        broadcast_model_state(model)
        was_training = model.training
        model.eval()
        try:
            summary = generate_round(
                model_prob_fn(model), self._clips, self.policy, self.pseudo_label_dir,
                round_idx, instance=self.instance, aggregate=self.aggregate,
                flow_fn=self._flow_fn, scale=self.scale, keep_ratio=self.keep_ratio,
                batch_size=self.batch_size, load_gt=self._load_gt,
                cache_limit_mb=self.cache_limit_mb, progress=self.progress and is_main_process(),
                distributed=True)
        finally:
            model.train(was_training)
        self.rounds_done = round_idx + 1
        # The policy state each round started from: a resumed run must start its rounds from the
        # state the interrupted one would have used (checked by the tests).
        self.history.append(dict({k: summary.get(k) for k in (
            'round', 'proportion', 'p_miou', 'p_acc', 'seconds')}, iteration=iteration,
            policy_before=policy_before))
        self._prune()
        msg = (f'Pseudo-label round {round_idx} after {iteration} iterations: '
               f'{summary["proportion"]:.1%} of {summary["pixels"]} pixels labelled, '
               f'{summary["seconds"]:.1f} s')
        if summary.get('world_size'):
            msg += f' on {summary["world_size"]} processes'
        runner.message_hub.update_scalar('train/pl_proportion', summary['proportion'])
        if summary.get('p_miou') is not None:
            msg += f', P-mIoU {summary["p_miou"]:.2f} (pixel acc. {summary["p_acc"]:.2f})'
            runner.message_hub.update_scalar('train/pl_miou', summary['p_miou'])
        runner.logger.info(msg)

    def _remove_rounds(self, select: Callable[[int], bool]) -> None:
        """Delete the round directories whose index ``select`` accepts and every ``.tmp`` one."""
        if not is_main_process() or not osp.isdir(self.pseudo_label_dir):
            return
        for name in os.listdir(self.pseudo_label_dir):
            path = osp.join(self.pseudo_label_dir, name)
            if name.endswith(TMP_SUFFIX) and re.match(r'^round_\d+', name):
                shutil.rmtree(path, ignore_errors=True)
                continue
            idx = round_index(name)
            if idx is not None and select(idx):
                shutil.rmtree(path, ignore_errors=True)

    def _prune(self) -> None:
        """Keep only the ``keep_rounds`` latest rounds."""
        if self.keep_rounds is not None:
            oldest = self.rounds_done - self.keep_rounds
            self._remove_rounds(lambda idx: idx < oldest)


def _format_work_dir(cfg: Any, runner) -> Any:
    """Replace ``{work_dir}`` in the strings of a (nested) config by the runner's work dir."""
    if isinstance(cfg, str):
        return cfg.replace('{work_dir}', runner.work_dir)
    if isinstance(cfg, dict):
        return type(cfg)({k: _format_work_dir(v, runner) for k, v in cfg.items()})
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(_format_work_dir(v, runner) for v in cfg)
    return cfg
