"""Which checkpoint a run continues from, and checks before one is loaded."""
import os
import os.path as osp
import re
from typing import Optional

from uda_toolbox.models.backbones.convert import convert_backbone_checkpoint  # noqa: F401 (API)


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
