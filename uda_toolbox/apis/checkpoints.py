"""Which checkpoint a run continues from, and checks before one is loaded.

``latest_checkpoint`` lives in the bottom layer (``uda_toolbox.utils.checkpoint``) because the
NaN-loss hook names it too; it is part of this API.
"""
from mmengine.config import Config

from uda_toolbox.models.backbones.convert import convert_backbone_checkpoint
from uda_toolbox.utils.checkpoint import (
    CheckpointError,
    check_checkpoint_file,
    last_checkpoint_pointer,
    latest_checkpoint,
)

__all__ = ['check_load_from', 'convert_backbone_checkpoint', 'last_checkpoint_pointer',
           'latest_checkpoint', 'require_checkpoint']


def require_checkpoint(path: str, key: str) -> None:
    """Stop with ``Checkpoint error: ...`` (no traceback) unless ``path`` is a readable checkpoint;
    ``key`` names where it came from (``load_from``, ``CHECKPOINT``)."""
    try:
        check_checkpoint_file(path, key=key)
    except CheckpointError as exc:
        raise SystemExit(f'Checkpoint error: {exc}') from None


def check_load_from(cfg: Config) -> None:
    """Stop before building anything when a local ``load_from`` is missing or not a checkpoint."""
    load_from = cfg.get('load_from')
    if not load_from or '://' in load_from or load_from.startswith(('open-mmlab:', 'torchvision:')):
        return
    require_checkpoint(load_from, 'load_from')
