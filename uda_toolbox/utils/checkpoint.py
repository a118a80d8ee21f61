"""Loading mmengine checkpoints under torch >= 2.6, whose ``torch.load`` defaults to weights_only=True.

An mmengine checkpoint holds more than tensors: the message hub's ``HistoryBuffer``
objects (numpy arrays of logged values, and their statistic methods stored by name
through ``getattr``) and numpy scalars in ``meta``. Instead of turning ``weights_only``
off (which lets a checkpoint run arbitrary code when unpickled), we allow exactly the
types the toolbox's own checkpoints contain. A checkpoint that needs anything else fails
with a :class:`CheckpointError` naming the type and the opt-out for trusted files
(``--unsafe-load`` of the tools); see docs/troubleshooting.md.

Why ``getattr`` is safe to allow here: torch's weights-only unpickler still refuses to
*call* anything that is not allow-listed (its REDUCE checks the callable), so ``getattr``
can only fetch attributes of the allowed classes (``HistoryBuffer.mean`` and the like).
"""
import os
import os.path as osp
import pickle
import re
import warnings
import zipfile
from typing import List

import numpy as np
import torch

# numpy >= 2 moved numpy.core to numpy._core (the old name warns on access).
_multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray

# torch's own switch: makes torch.load default to weights_only=False where the caller (mmengine)
# does not pass weights_only. The tools set it for --unsafe-load.
UNSAFE_LOAD_ENV = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
UNSAFE_LOAD_HINT = ('If you trust the file, load it anyway with the tools\' --unsafe-load flag '
                    f'(or {UNSAFE_LOAD_ENV}=1 in the environment of your own script); '
                    'see docs/troubleshooting.md.')
#: ``--help`` of the tools' ``--unsafe-load`` flag.
UNSAFE_LOAD_HELP = ('load checkpoints with weights_only=False, for TRUSTED files that need types '
                    'outside the allow-list (unpickling can run code from the file); see '
                    'docs/troubleshooting.md')


#: What to do about a checkpoint that does not exist, by where its path came from.
MISSING_HINT = ('Point it at a .pth file written by tools/train.py (e.g. '
                'work_dirs/<run>/iter_<N>.pth).')
MISSING_HINTS = {
    'load_from': ("Point load_from at a .pth file written by tools/train.py (e.g. "
                  "work_dirs/<run>/iter_<N>.pth), at a run's work dir or at the config that trains it "
                  "(its latest checkpoint is taken); a method started from another one's weights "
                  'needs that run trained first.'),
    'CHECKPOINT': ('Pass a .pth file written by tools/train.py (e.g. work_dirs/<run>/iter_<N>.pth) or '
                   'the run\'s work dir (its latest checkpoint is taken); train the config first if '
                   'it has none (tools/train.py CONFIG).'),
}


class CheckpointError(RuntimeError):
    """A checkpoint is missing, is not a checkpoint, is truncated, or needs unsafe unpickling."""


def toolbox_checkpoint_globals() -> List[object]:
    """The non-tensor types found in checkpoints written by the toolbox's runners."""
    from mmengine.logging.history_buffer import HistoryBuffer

    numpy_types: List[object] = [np.ndarray, np.dtype, _multiarray._reconstruct,
                                 _multiarray.scalar]
    # numpy >= 1.25 pickles dtypes through their classes (np.dtypes.Float64DType...).
    numpy_types.extend(type(np.dtype(name)) for name in (
        'float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool'))
    return [HistoryBuffer, getattr, *numpy_types]


def allow_toolbox_checkpoint_globals() -> None:
    """Add the toolbox's checkpoint types to torch's weights_only allow-list (idempotent)."""
    torch.serialization.add_safe_globals(toolbox_checkpoint_globals())


def allow_unsafe_checkpoint_loading() -> None:
    """Opt out of weights_only loading for this process (trusted checkpoints only).

    Unpickling may then run code stored in the file; the tools call this for ``--unsafe-load``.
    """
    warnings.warn('--unsafe-load: checkpoints are unpickled with weights_only=False; a malicious '
                  'file can run arbitrary code. Use it only for files you trust.', stacklevel=2)
    os.environ[UNSAFE_LOAD_ENV] = '1'


def check_checkpoint_file(path: str, key: str = 'load_from') -> None:
    """Raise :class:`CheckpointError` unless ``path`` looks like a complete torch checkpoint.

    Cheap (reads the file's head and the zip directory, not the weights), so the tools run it
    before building a runner. ``key`` names where the path came from, for the message.
    """
    if not osp.exists(path):
        raise CheckpointError(f'{key}={path!r} does not exist. {MISSING_HINTS.get(key, MISSING_HINT)}')
    if not osp.isfile(path):
        raise CheckpointError(f'{key}={path!r} is a directory, not a checkpoint file; name the '
                              '.pth file inside it (e.g. its iter_<N>.pth).')
    with open(path, 'rb') as f:
        head = f.read(4)
    if head.startswith(b'PK'):
        if not zipfile.is_zipfile(path):
            raise CheckpointError(
                f'{key}={path!r} is a truncated or corrupt checkpoint (its zip directory is '
                'missing: the file was cut off while being written or copied). Use an earlier '
                'checkpoint of the run, or copy the file again.')
        return
    if head[:1] != b'\x80':  # torch's legacy (non-zip) format is a raw pickle stream
        raise CheckpointError(
            f'{key}={path!r} is not a PyTorch checkpoint (it starts with {head!r}). Pass a '
            '.pth file written by tools/train.py or torch.save.')


def explain_load_error(path: str, exc: BaseException) -> str:
    """A message for a failed ``torch.load`` of ``path``: the type to allow, or what is broken."""
    text = str(exc)
    if 'Weights only load failed' in text or 'weights_only' in text:
        match = re.search(r'GLOBAL ([\w.]+)', text)
        what = f'the type {match.group(1)}' if match else 'an object'
        return (f'Checkpoint {path!r} needs {what}, which is outside the toolbox\'s weights_only '
                'allow-list (uda_toolbox/utils/checkpoint.py), so it was not unpickled: '
                f'unpickling it could run code from the file. {UNSAFE_LOAD_HINT}')
    return (f'Checkpoint {path!r} could not be read ({type(exc).__name__}: {text.splitlines()[0]}); '
            'it is truncated, corrupt or not a checkpoint. Use an earlier checkpoint of the run.')


def load_from_local_checked(filename: str, map_location=None) -> dict:
    """mmengine's local checkpoint loader with the checks and messages above."""
    filename = osp.expanduser(filename)
    check_checkpoint_file(filename, key='checkpoint')
    try:
        return torch.load(filename, map_location=map_location)
    except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, ValueError) as exc:
        raise CheckpointError(explain_load_error(filename, exc)) from exc


def setup_checkpoint_loading(unsafe: bool = False) -> None:
    """What the tools call before loading checkpoints through mmengine.

    Allow-lists the toolbox's types, opts out of weights_only if ``unsafe``, and replaces
    mmengine's loader of local files (its scheme ``''``) with :func:`load_from_local_checked`,
    so a bad ``load_from`` / resume file stops with a message naming it and the fix.
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    allow_toolbox_checkpoint_globals()
    if unsafe:
        allow_unsafe_checkpoint_loading()
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_checked, force=True)
