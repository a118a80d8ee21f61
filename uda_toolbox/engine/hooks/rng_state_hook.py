"""Random number generator states in checkpoints, so that a resumed run draws what the original drew.

mmengine's resume re-seeds every generator and replays the dataloader up to the checkpoint's
iteration (``IterBasedTrainLoop``: "Advance dataloader N steps"), which reproduces the data
(sampler order and the transforms' random draws) but not what the *model* drew from the global
generators during the skipped iterations (dropout, random masks...). This hook saves the states
of the training process's generators with every checkpoint and restores them right before the
first resumed iteration.

Which generators: torch's (CPU and CUDA) always. numpy's and Python's only when the training
dataloader uses worker processes: with ``num_workers=0`` the data pipeline draws from them in
this process, and the replay has already brought them to the checkpoint's state.
"""
import random
from typing import Any, Optional

import numpy as np
import torch
from mmengine.dist import get_world_size
from mmengine.hooks import Hook

from uda_toolbox.registry import HOOKS

CHECKPOINT_KEY = 'rng_states'


def rng_state() -> dict:
    """This process's generator states (tensors and plain Python objects only: weights_only loads
    them)."""
    np_kind, np_keys, np_pos, np_gauss, np_cached = np.random.get_state()
    state = dict(torch=torch.get_rng_state(),
                 numpy=dict(kind=np_kind, keys=torch.from_numpy(np_keys.astype(np.int64)),
                            pos=int(np_pos), has_gauss=int(np_gauss), cached=float(np_cached)),
                 python=_python_state(random.getstate()))
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict, data_generators: bool) -> None:
    """Restore :func:`rng_state`; numpy's and Python's only if ``data_generators``."""
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available() and \
            len(state['cuda']) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state['cuda'])
    if data_generators:
        saved = state['numpy']
        np.random.set_state((saved['kind'], saved['keys'].numpy().astype(np.uint32), saved['pos'],
                             saved['has_gauss'], saved['cached']))
        version, internal, gauss = state['python']
        random.setstate((version, tuple(internal), gauss))


def _python_state(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the generators' states with every checkpoint; restore them when a run resumes.

    Single-process runs only: mmengine saves checkpoints on rank 0 alone (no collective is
    possible there), so a distributed run's checkpoint holds rank 0's states, and a distributed
    resume leaves every rank's generators as seeded (it logs so).
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = dict(world_size=get_world_size(), state=rng_state())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Also called for ``load_from`` (initial weights of a new run): before_train_iter only
        # restores when the run really resumed (starts past iteration 0).
        self._pending = checkpoint.get(CHECKPOINT_KEY)

    def before_train_iter(self, runner, batch_idx: int, data_batch: Any = None) -> None:
        saved, self._pending = self._pending, None
        if not saved or runner.iter == 0:
            return
        if saved['world_size'] != 1 or get_world_size() != 1:
            runner.logger.info('RNGStateHook: random generator states are restored in '
                               'single-process runs only; they stay as seeded.')
            return
        set_rng_state(saved['state'], data_generators=_uses_workers(runner))


def _uses_workers(runner) -> bool:
    loader = getattr(runner.train_loop, 'dataloader', None)
    return getattr(loader, 'num_workers', 0) > 0
