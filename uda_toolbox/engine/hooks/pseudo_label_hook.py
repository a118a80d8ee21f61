"""Pseudo-label rounds during training: before the first iteration and every ``interval`` iterations.

The hook runs the current segmentor in eval mode over every frame of the target training clips,
asks a policy (``PSEUDO_LABEL_POLICIES``) for the labels and publishes them as a new round
(``uda_toolbox.pseudo_labels.round.generate_round``); the target ``ClipDataset`` reads the
round named in ``<pseudo_label_dir>/CURRENT`` for every item (dataloader workers are separate
processes, so files and a pointer are how a round reaches them). docs/pseudo_labels.md.

Distributed runs: every process takes rank 0's weights and BatchNorm statistics, predicts its
share of the clips and writes its labels; the threshold statistics are combined so the files are
those of one process, and rank 0 publishes the round once all are written (``generate_round``
with ``distributed=True``; docs/pseudo_labels.md, "Sharded rounds").

Resume: the number of finished rounds and the policy state (e.g. IAST's EMA thresholds) are saved
in every checkpoint, with the state each round started from (``history[i]['policy_before']``).
A resumed run points CURRENT back at the last round its checkpoint knew, deletes later or
half-written rounds (they belong to the interrupted future) and regenerates them when their
iteration comes, from the same policy state. If the last round itself is missing or fails
verification (empty or cut-off label files: a full disk), it is regenerated first, from the
policy state saved before it.
"""
import copy
import os
import os.path as osp
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from uda_toolbox.engine.dist import broadcast_model_state
from uda_toolbox.pseudo_labels.predict import (
    ClipPredictor,
    dataset_clips,
    estimator_flow_fn,
    file_flow_fn,
    ground_truth_fn,
    model_prob_fn,
)
from uda_toolbox.pseudo_labels.round import generate_round
from uda_toolbox.pseudo_labels.sharding import broadcast_object
from uda_toolbox.registry import DATASETS, FLOW_ESTIMATORS, HOOKS, PSEUDO_LABEL_POLICIES
from uda_toolbox.utils.rounds import (
    damaged_labels,
    publish_current,
    remove_rounds,
    restore_round,
    round_label_files,
    round_name,
)

CHECKPOINT_KEY = 'pseudo_labels'


# ----------------------------------------------------------------------------- the hook
@HOOKS.register_module()
class PseudoLabelHook(Hook):
    """Generate pseudo-label rounds for self-training (CBST, CRST, IAST, VST).

    Args:
        policy: Config of the threshold policy (``ClassBalancedPolicy``,
            ``InstanceAdaptivePolicy``, ``ClipAdaptivePolicy``).
        interval: A new round after every ``interval`` training iterations (round 0 runs before
            the first iteration; no round after the last iteration).
        instance: What the policy thresholds at once: ``'clip'`` (clip-adaptive, Shin et al. (2021) Eq. 11) or
            a number of consecutive frames (1: each image is an instance, as Shin et al. (2021)
            describes IAST). Irrelevant for class-balanced labels.
        aggregate: None, or the options of VST's temporally aggregated predictions (Shin et al.
        (2021) Eq. 10),
            ``dict()`` for the defaults (``alpha``, ``th`` = 0.7, see
            ``pseudo_labels.temporal.aggregate_clip``).
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
        flip: Average each frame's prediction with that of its horizontal flip (URMA's labels).
    """

    priority = 'NORMAL'  # before CheckpointHook (VERY_LOW): a checkpoint includes the new round

    def __init__(self, policy: dict, interval: int = 200, instance: Union[str, int] = 'clip',
                 aggregate: Optional[dict] = None, flow: Union[str, dict] = 'files',
                 dataset: Optional[dict] = None, pseudo_label_dir: Optional[str] = None,
                 label_dataset: Optional[dict] = None, scale: Optional[Sequence[int]] = None,
                 keep_ratio: bool = True, batch_size: int = 8, keep_rounds: Optional[int] = None,
                 cache_limit_mb: float = 1024.0, progress: bool = True,
                 max_rounds: Optional[int] = None, flip: bool = False) -> None:
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
        self.flip = flip
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
                remove_rounds(self.pseudo_label_dir, lambda idx: True)
            self.rounds_done = 0
            self.history = []
            self.policy = PSEUDO_LABEL_POLICIES.build(copy.deepcopy(self.policy_cfg))
            self._run_round(runner, runner.iter)
            return
        self.policy.load_state_dict(state['policy'])
        self.rounds_done = int(state['rounds_done'])
        self.history = list(state.get('history', []))
        name = round_name(self.rounds_done - 1)
        last_dir = osp.join(self.pseudo_label_dir, name)
        # Rank 0 judges the round for every process (they must all regenerate it, or none).
        problem = broadcast_object(self._round_problem(last_dir) if is_main_process() else None,
                                   src=0)
        if problem is None:
            if is_main_process():
                restore_round(self.pseudo_label_dir, self.rounds_done)
            runner.logger.info(f'PseudoLabelHook: resumed with {self.rounds_done} round(s); '
                               f'training reads {last_dir}')
            return
        warnings.warn(f'PseudoLabelHook: {last_dir} (the round of the resumed checkpoint) {problem}; '
                      'regenerating it from the policy state saved before it.', stacklevel=2)
        self._regenerate_last_round(runner)

    def _round_problem(self, round_dir: str) -> Optional[str]:
        """Why the round a resumed checkpoint names cannot be trained on (None: it can)."""
        if not osp.isdir(round_dir):
            return 'is missing'
        damaged = damaged_labels(round_label_files(
            round_dir, self._clips, soft=getattr(self.policy, 'soft_labels', False)))
        if damaged:
            return (f'has {len(damaged)} empty, cut-off or missing label files (e.g. '
                    f'{damaged[0]!r}; a full disk when it was written?)')
        return None

    def _regenerate_last_round(self, runner) -> None:
        """Write round ``rounds_done - 1`` again, from the policy state it started from.

        The checkpoint's policy state is the one *after* that round (e.g. IAST's EMA thresholds
        moved through it); the history keeps the state before it (``policy_before``), so the
        regenerated round labels as the original did (with the checkpoint's weights).
        """
        last = self.history.pop() if self.history else {}
        if last.get('policy_before') is not None:
            self.policy.load_state_dict(copy.deepcopy(last['policy_before']))
        else:
            warnings.warn('PseudoLabelHook: the checkpoint holds no policy state from before its '
                          'last round; regenerating it from the state after it.', stacklevel=3)
        self.rounds_done -= 1
        if is_main_process():
            # CURRENT must not name the round being rewritten (prepare_round_dir refuses that)
            previous = round_name(self.rounds_done - 1) if self.rounds_done > 0 else None
            if previous is not None and \
                    not osp.isdir(osp.join(self.pseudo_label_dir, previous)):
                previous = None
            publish_current(self.pseudo_label_dir, previous)
            remove_rounds(self.pseudo_label_dir, lambda idx: idx >= self.rounds_done)
        self._run_round(runner, last.get('iteration', runner.iter))
        _restart_prefetching(runner)

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
            dataset = DATASETS.build(copy.deepcopy(self.dataset_cfg))
        else:
            dataset = runner.train_dataloader.dataset
            dataset = getattr(dataset, 'target', dataset)
        if hasattr(dataset, 'full_init'):
            dataset.full_init()
        dataset_dir = getattr(dataset, 'pseudo_label_dir', None)
        hook_dir = self.pseudo_label_dir_cfg
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
                             'build the runner with uda_toolbox.apis.build_runner (tools/train.py '
                             'does), which replaces it, or give a real path.')
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
            predictor = ClipPredictor(model_prob_fn(model, self.flip), scale=self.scale,
                                      keep_ratio=self.keep_ratio, batch_size=self.batch_size,
                                      aggregate=self.aggregate, flow_fn=self._flow_fn)
            summary = generate_round(
                predictor, self._clips, self.policy, round_idx, out_dir=self.pseudo_label_dir,
                instance=self.instance, load_gt=self._load_gt,
                cache_limit_mb=self.cache_limit_mb,
                progress=self.progress and is_main_process(), distributed=True)
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

    def _prune(self) -> None:
        """Keep only the ``keep_rounds`` latest rounds."""
        if self.keep_rounds is not None and is_main_process():
            oldest = self.rounds_done - self.keep_rounds
            remove_rounds(self.pseudo_label_dir, lambda idx: idx < oldest)


def _restart_prefetching(runner) -> None:
    """Drop the batches dataloader workers prefetched before a round was regenerated at resume
    (they may hold labels of the damaged round): a new iterator over the same dataloader starts
    the same sampler order, and mmengine's replay then skips the trained iterations."""
    loop = getattr(runner, 'train_loop', None)
    iterator = getattr(loop, 'dataloader_iterator', None)
    if iterator is not None and getattr(loop.dataloader, 'num_workers', 0) > 0:
        loop.dataloader_iterator = type(iterator)(loop.dataloader)
