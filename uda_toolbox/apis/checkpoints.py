"""Which checkpoint a run continues from, and checks before one is loaded."""
import os
import os.path as osp
import re
from typing import Optional

from mmengine.config import Config

from uda_toolbox.models.backbones.convert import convert_backbone_checkpoint  # noqa: F401 (API)
from uda_toolbox.utils.checkpoint import CheckpointError, check_checkpoint_file


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from: the one ``last_checkpoint`` names, or else the
    newest ``iter_<N>.pth`` of the work dir (None if it has none).

    mmengine writes ``last_checkpoint`` in place after each checkpoint (not atomically) and deletes
    the oldest checkpoint *before* writing the next one, so a job killed at the wrong moment
    leaves that pointer empty or naming a deleted file while complete checkpoints remain.
    """
    named = last_checkpoint_pointer(work_dir)
    if named and osp.isfile(named):
        return named
    steps = []
    for name in os.listdir(work_dir) if osp.isdir(work_dir) else []:
        match = re.fullmatch(r'iter_(\d+)\.pth', name)
        if match:
            steps.append((int(match.group(1)), osp.join(work_dir, name)))
    return max(steps)[1] if steps else None


def last_checkpoint_pointer(work_dir: str) -> Optional[str]:
    """What mmengine's ``<work_dir>/last_checkpoint`` file names (None without the file)."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        return f.read().strip()


def check_load_from(cfg: Config) -> None:
    """Stop before building anything when a local ``load_from`` is missing or not a checkpoint."""
    load_from = cfg.get('load_from')
    if not load_from or '://' in load_from or load_from.startswith(('open-mmlab:', 'torchvision:')):
        return
    try:
        check_checkpoint_file(load_from, key='load_from')
    except CheckpointError as exc:
        raise SystemExit(f'Checkpoint error: {exc}') from None
