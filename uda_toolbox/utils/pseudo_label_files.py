"""Names of pseudo-label rounds on disk, shared by the writer (generator) and the reader (ClipDataset).

Layout of a pseudo-label directory (``pseudo_label_dir``, usually ``<work_dir>/pseudo_labels``)::

    CURRENT                       text file: the name of the round training reads, e.g. "round_2"
    round_<r>/<clip>/<stem>.png   one 8-bit label map per frame (train ids, 255 = ignored);
                                  <stem> is the frame file's name without its extension
    round_<r>/stats.json          labelled proportion, P-mIoU, timings of that round
    round_<r>.tmp/                a round being written; never read, removed when a round restarts

A round directory appears (by one ``os.rename``) only once every file of it is written, and
``CURRENT`` is then replaced atomically, so a reader sees a complete round or the previous one.
"""
import os
import os.path as osp
import re
from typing import Optional

from uda_toolbox.utils.io import atomic_write

CURRENT_FILE = 'CURRENT'
ROUND_PREFIX = 'round_'
TMP_SUFFIX = '.tmp'
LABEL_SUFFIX = '.png'
_ROUND_RE = re.compile(r'^round_(\d+)$')


def round_name(round_idx: int) -> str:
    """``3`` -> ``'round_3'``."""
    if round_idx < 0:
        raise ValueError(f'round index must be >= 0, got {round_idx}')
    return f'{ROUND_PREFIX}{int(round_idx)}'


def round_index(name: str) -> Optional[int]:
    """``'round_3'`` -> 3; None for any other name (temporary dirs, files)."""
    match = _ROUND_RE.match(name)
    return int(match.group(1)) if match else None


def label_relpath(clip_id: str, img_path: str) -> str:
    """Path of a frame's pseudo label inside a round: ``<clip>/<frame file stem>.png``."""
    stem = osp.splitext(osp.basename(img_path))[0]
    return osp.join(clip_id, stem + LABEL_SUFFIX)


def read_current(pseudo_label_dir: str) -> Optional[str]:
    """The round name in ``<pseudo_label_dir>/CURRENT``, or None when no round is published yet.

    Raises:
        FileNotFoundError: CURRENT names a round directory that does not exist (someone
            deleted it): the fix is to delete CURRENT or regenerate the round.
    """
    path = osp.join(pseudo_label_dir, CURRENT_FILE)
    try:
        with open(path) as f:
            name = f.read().strip()
    except FileNotFoundError:
        return None
    if not name:
        return None
    if not osp.isdir(osp.join(pseudo_label_dir, name)):
        raise FileNotFoundError(
            f'{path} points to round {name!r}, but {osp.join(pseudo_label_dir, name)!r} does not '
            'exist. Delete CURRENT (training then starts without pseudo labels and the '
            'PseudoLabelHook writes a new round) or restore the round directory.')
    return name


def publish_current(pseudo_label_dir: str, name: Optional[str]) -> None:
    """Point ``CURRENT`` at round ``name`` atomically (None removes the pointer)."""
    path = osp.join(pseudo_label_dir, CURRENT_FILE)
    if name is None:
        if osp.exists(path):
            os.remove(path)
        return
    with atomic_write(path) as tmp:
        with open(tmp, 'w') as f:
            f.write(name + '\n')
