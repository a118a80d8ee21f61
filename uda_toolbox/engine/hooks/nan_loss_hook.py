"""Stop training at the first NaN/inf loss instead of training on (and checkpointing) broken weights."""
import math
from typing import Any, Dict, Optional

import torch
from mmengine.dist import all_reduce, is_distributed
from mmengine.hooks import Hook

from uda_toolbox.registry import HOOKS
from uda_toolbox.utils.checkpoint import latest_checkpoint


class NonFiniteLossError(RuntimeError):
    """A loss term became NaN or infinite; the message names the iteration, the term and fixes."""


def non_finite_terms(outputs: Optional[Dict[str, Any]]) -> Dict[str, float]:
    """The loss terms (log keys containing ``'loss'``) of ``outputs`` that are NaN or inf.

    Other logged figures (label proportions, accuracies) may be NaN legitimately, e.g. a ratio
    over an empty set, and are not checked.
    """
    bad = {}
    for name, value in (outputs or {}).items():
        if 'loss' not in name:
            continue
        value = float(torch.as_tensor(value, dtype=torch.float64).detach().sum())
        if not math.isfinite(value):
            bad[name] = value
    return bad


@HOOKS.register_module()
class NaNLossHook(Hook):
    """Raise :class:`NonFiniteLossError` after an iteration whose loss is NaN or inf.

    It runs before the logger, the pseudo-label rounds and the checkpoint hook of that iteration,
    so the last checkpoint on disk keeps the last finite weights and ``--resume`` starts from
    them. On by default (``custom_hooks`` of ``configs/_base_/default_runtime.py``; tools/train.py
    keeps it in configs that replace ``custom_hooks``); ``check_finite_loss = False`` in a config
    turns it off.

    Args:
        interval: Check every ``interval`` iterations (the check reads every loss term back
            from the device).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 1) -> None:
        if interval < 1:
            raise ValueError(f'NaNLossHook: interval must be >= 1, got {interval}')
        self.interval = interval

    def after_train_iter(self, runner, batch_idx: int, data_batch: Any = None,
                         outputs: Optional[Dict[str, Any]] = None) -> None:
        if not self.every_n_train_iters(runner, self.interval):
            return
        bad = non_finite_terms(outputs)
        if is_distributed():
            # Every rank stops together; a rank that stops alone leaves the others waiting.
            flag = torch.tensor(float(bool(bad)))
            all_reduce(flag, op='max')
            if flag.item() and not bad:
                raise NonFiniteLossError(f'another process had a NaN/inf loss at iteration '
                                         f'{runner.iter + 1}; see its log.')
        if bad:
            raise NonFiniteLossError(self.message(runner, bad))

    @staticmethod
    def message(runner, bad: Dict[str, float]) -> str:
        """Iteration, the offending terms (the named terms before the total) and what to do."""
        names = sorted(bad, key=lambda name: (name == 'loss', name))
        terms = ', '.join(f'{name} = {bad[name]}' for name in names)
        latest = latest_checkpoint(runner.work_dir)  # what --resume would load
        saved = 'no checkpoint was written yet' if latest is None else \
            f'the last checkpoint, {latest}, holds finite weights'
        return (f'non-finite loss at iteration {runner.iter + 1}: {terms}; stopped before that '
                f'step was saved ({saved}). Usual causes: a learning rate too high for this model '
                'or batch (lower optim_wrapper.optimizer.lr, or optim_wrapper.<name>.optimizer.lr '
                'for adversarial methods), exploding gradients (add optim_wrapper.clip_grad='
                'dict(max_norm=10)), a loss weight that is NaN/inf or labels outside the '
                'classes, fp16 overflow with --amp (use loss_scale=\'dynamic\'). Fix the config, '
                'then continue with tools/train.py ... --resume.')
