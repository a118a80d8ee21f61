"""Loading mmengine checkpoints under torch >= 2.6, whose ``torch.load`` defaults to weights_only=True.

An mmengine checkpoint holds more than tensors: the message hub's ``HistoryBuffer``
objects and numpy arrays/scalars in the logged history. Instead of turning
``weights_only`` off (which lets a checkpoint run arbitrary code when unpickled), we
allow exactly the types the toolbox's own checkpoints contain. A checkpoint that needs
anything else fails with torch's ``UnpicklingError`` naming the type; see
docs/get_started.md ("Checkpoints and torch.load").
"""
from typing import List

import numpy as np
import torch


def toolbox_checkpoint_globals() -> List[object]:
    """The non-tensor types found in checkpoints written by the toolbox's runners."""
    from mmengine.logging.history_buffer import HistoryBuffer

    numpy_types: List[object] = [np.ndarray, np.dtype, np.core.multiarray._reconstruct]
    # numpy >= 1.25 pickles dtypes through their classes (np.dtypes.Float64DType...),
    # and numpy scalars through np.core.multiarray.scalar.
    numpy_types.append(np.core.multiarray.scalar)
    numpy_types.extend(type(np.dtype(name)) for name in (
        'float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool'))
    return [HistoryBuffer, *numpy_types]


def allow_toolbox_checkpoint_globals() -> None:
    """Add the toolbox's checkpoint types to torch's weights_only allow-list (idempotent)."""
    torch.serialization.add_safe_globals(toolbox_checkpoint_globals())
