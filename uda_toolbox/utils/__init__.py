"""Helpers below every other layer: atomic writes, checkpoint loading rules, flow warping."""
from .checkpoint import allow_toolbox_checkpoint_globals
from .io import atomic_write, write_npy_atomic, write_png_atomic
from .warp import (
    DEFAULT_CONSISTENCY_ALPHA,
    DEFAULT_CONSISTENCY_THRESHOLD,
    non_occluded_mask,
    photometric_consistency,
    to_unit_range,
    warp,
)

__all__ = ['DEFAULT_CONSISTENCY_ALPHA', 'DEFAULT_CONSISTENCY_THRESHOLD',
           'allow_toolbox_checkpoint_globals', 'atomic_write', 'non_occluded_mask',
           'photometric_consistency', 'to_unit_range', 'warp', 'write_npy_atomic',
           'write_png_atomic']
