"""The pseudo-label round directory on disk: its names and its whole life cycle.

Shared by the writer (``pseudo_labels.round.generate_round``), the scheduler
(``PseudoLabelHook``: resume, pruning) and the reader (``ClipDataset``); it lives in the bottom
layer because the datasets, which read rounds, may not import the pseudo-label package.

Layout of a pseudo-label directory (``pseudo_label_dir``, usually ``<work_dir>/pseudo_labels``)::

    CURRENT                       text file: the name of the round training reads, e.g. "round_2"
    round_<r>/<clip>/<stem>.png   one 8-bit label map per frame (train ids, 255 = ignored);
                                  <stem> is the frame file's name without its extension
    round_<r>/<clip>/<stem>_soft.png  soft labels (CRST's LR-ENT only), 3 channels:
                                  ``uda_toolbox.utils.soft_labels``
    round_<r>/stats.json          labelled proportion, P-mIoU, timings of that round
    round_<r>.tmp/                a round being written; never read, removed when a round restarts

A round directory appears (by one ``os.rename``) only once every file of it is written and
verified (present, non-empty, a PNG with its end marker: a full disk can leave empty or cut-off
files behind writers that report success), and ``CURRENT`` is then replaced atomically, so a
reader sees a complete round or the previous one. A resumed run verifies the round it continues
with the same check (:func:`damaged_labels`) and regenerates it if it fails.
"""
import json
import os
import os.path as osp
import re
import shutil
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from uda_toolbox.utils.io import atomic_write, png_complete

CURRENT_FILE = 'CURRENT'
ROUND_PREFIX = 'round_'
TMP_SUFFIX = '.tmp'
LABEL_SUFFIX = '.png'
SOFT_LABEL_SUFFIX = '_soft.png'
_ROUND_RE = re.compile(r'^round_(\d+)$')


class RoundError(RuntimeError):
    """A pseudo-label round could not be written whole (it is not published)."""


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


def soft_label_path(label_path: str) -> str:
    """The soft-label file beside a pseudo label: ``<stem>.png`` -> ``<stem>_soft.png``."""
    if not label_path.endswith(LABEL_SUFFIX):
        raise ValueError(f'not a pseudo-label path (no {LABEL_SUFFIX}): {label_path!r}')
    return label_path[:-len(LABEL_SUFFIX)] + SOFT_LABEL_SUFFIX


def round_label_files(round_dir: str, clips: Sequence[Tuple[str, Sequence[dict]]],
                      soft: bool = False) -> List[str]:
    """Every label file a round of ``clips`` (``(clip_id, frame records)``) holds; with ``soft``
    also each label's soft-label file (CRST's LR-ENT, :func:`soft_label_path`)."""
    files = [osp.join(round_dir, label_relpath(clip_id, r['img_path']))
             for clip_id, records in clips for r in records]
    return files + [soft_label_path(f) for f in files] if soft else files


def damaged_labels(files: Sequence[str]) -> List[str]:
    """The files of ``files`` that are missing, empty or cut off (not a whole PNG)."""
    return [f for f in files if not png_complete(f)]


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


def prepare_round_dir(out_dir: str, name: str) -> str:
    """Create an empty ``<out_dir>/<name>.tmp`` to write a round into; returns its path.

    A ``.tmp`` directory left by a crash is never read: it is removed and started over. The
    round CURRENT points at cannot be regenerated (training reads it).
    """
    final_dir = osp.join(out_dir, name)
    tmp_dir = final_dir + TMP_SUFFIX
    os.makedirs(out_dir, exist_ok=True)
    if osp.isdir(final_dir) and read_current(out_dir) == name:
        raise RuntimeError(f'{final_dir} is the CURRENT round being trained on; point CURRENT '
                           'elsewhere before regenerating it.')
    shutil.rmtree(tmp_dir, ignore_errors=True)  # left by a crash: never read, start over
    os.makedirs(tmp_dir)
    return tmp_dir


def publish_round(out_dir: str, name: str, files: Sequence[str], summary: Dict[str, Any]) -> None:
    """Rename the complete ``.tmp`` directory to the round and point CURRENT at it.

    Args:
        out_dir: The pseudo-label directory.
        name: The round's name (:func:`round_name`).
        files: Every label file the round must hold (checked before publishing).
        summary: The round's figures, written to ``stats.json``.
    """
    final_dir = osp.join(out_dir, name)
    tmp_dir = final_dir + TMP_SUFFIX
    missing = [f for f in files if not osp.isfile(f)]
    if missing:
        raise RoundError(f'pseudo-label round {name}: {len(missing)} label files are missing '
                         f'(first: {missing[0]!r}). In a distributed run, pseudo_label_dir must '
                         'be on a filesystem that every process (every node) sees.')
    damaged = damaged_labels(files)
    if damaged:
        raise RoundError(f'pseudo-label round {name}: {len(damaged)} label files are empty or cut '
                         f'off (first: {damaged[0]!r}); the disk is probably full. The round was '
                         f'not published; free space in {out_dir!r} and continue with --resume.')
    with open(osp.join(tmp_dir, 'stats.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    if osp.isdir(final_dir):  # a complete round of an abandoned run, not CURRENT (checked before)
        shutil.rmtree(final_dir)
    os.rename(tmp_dir, final_dir)  # the round appears complete or not at all
    publish_current(out_dir, name)


def remove_rounds(pseudo_label_dir: str, select: Callable[[int], bool]) -> None:
    """Delete the round directories whose index ``select`` accepts, and every ``.tmp`` one."""
    if not osp.isdir(pseudo_label_dir):
        return
    for name in os.listdir(pseudo_label_dir):
        path = osp.join(pseudo_label_dir, name)
        if name.endswith(TMP_SUFFIX) and re.match(r'^round_\d+', name):
            shutil.rmtree(path, ignore_errors=True)
            continue
        idx = round_index(name)
        if idx is not None and select(idx):
            shutil.rmtree(path, ignore_errors=True)


def restore_round(pseudo_label_dir: str, rounds_done: int) -> bool:
    """Point CURRENT back at the last round a resumed checkpoint knew (``rounds_done - 1``) and
    delete later and half-written rounds: they belong to the interrupted run's future.

    Returns:
        Whether that round is still on disk (if not, CURRENT is cleared and the caller
        regenerates it).
    """
    last = rounds_done - 1
    found = osp.isdir(osp.join(pseudo_label_dir, round_name(last)))
    publish_current(pseudo_label_dir, round_name(last) if found else None)
    remove_rounds(pseudo_label_dir, lambda idx: idx > last)
    return found
