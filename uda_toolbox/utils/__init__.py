"""The bottom layer: the vocabulary every other package shares.

Class lists and ``IGNORE_INDEX`` (``classes``), data errors (``errors``), checked reads and atomic
writes (``io``), flow files (``flow_io``) and warping (``warp``), frame normalisation
(``normalize``), the pseudo-label round directory (``rounds``) and checkpoint loading rules
(``checkpoint``). Nothing here imports another package of the toolbox.
"""
from .checkpoint import allow_toolbox_checkpoint_globals
from .classes import IGNORE_INDEX, VIDEO_UDA_CLASSES, VIDEO_UDA_METAINFO, VIDEO_UDA_PALETTE
from .errors import DataCorruptError, DataError, DataFormatError, DataNotFoundError
from .flow_io import read_flow, write_flo, write_flow
from .io import atomic_write, load_frame, load_label, write_npy_atomic, write_png_atomic
from .normalize import denormalize, normalize
from .warp import (
    DEFAULT_CONSISTENCY_ALPHA,
    DEFAULT_CONSISTENCY_THRESHOLD,
    non_occluded_mask,
    photometric_consistency,
    to_unit_range,
    warp,
)

__all__ = ['DEFAULT_CONSISTENCY_ALPHA', 'DEFAULT_CONSISTENCY_THRESHOLD', 'IGNORE_INDEX',
           'VIDEO_UDA_CLASSES', 'VIDEO_UDA_METAINFO', 'VIDEO_UDA_PALETTE', 'DataCorruptError',
           'DataError', 'DataFormatError', 'DataNotFoundError',
           'allow_toolbox_checkpoint_globals', 'atomic_write', 'denormalize', 'load_frame',
           'load_label', 'non_occluded_mask', 'normalize', 'photometric_consistency', 'read_flow',
           'to_unit_range', 'warp', 'write_flo', 'write_flow', 'write_npy_atomic',
           'write_png_atomic']
