"""Loading mmengine checkpoints under torch >= 2.6, whose ``torch.load`` defaults to weights_only=True.

An mmengine checkpoint holds more than tensors: the message hub's ``HistoryBuffer``
objects (numpy arrays of logged values, and their statistic methods stored by name
through ``getattr``) and numpy scalars in ``meta``. Instead of turning ``weights_only``
off (which lets a checkpoint run arbitrary code when unpickled), we allow exactly the
types the toolbox's own checkpoints contain. A checkpoint that needs anything else fails
with torch's ``UnpicklingError`` naming the type; see docs/get_started.md.

Why ``getattr`` is safe to allow here: torch's weights-only unpickler still refuses to
*call* anything that is not allow-listed (its REDUCE checks the callable), so ``getattr``
can only fetch attributes of the allowed classes (``HistoryBuffer.mean`` and the like).
"""
from typing import List

import numpy as np
import torch

# numpy >= 2 moved numpy.core to numpy._core (the old name warns on access).
_multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray


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
