"""Helpers below every other layer: atomic writes and checkpoint loading rules."""
from .checkpoint import allow_toolbox_checkpoint_globals
from .io import atomic_write, write_npy_atomic, write_png_atomic

__all__ = ['allow_toolbox_checkpoint_globals', 'atomic_write', 'write_npy_atomic',
           'write_png_atomic']
