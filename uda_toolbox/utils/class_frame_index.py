"""The class -> frame index file: which items of a labelled dataset show each class.

DA-STC pastes long-tail class instances drawn from such an index (its ``viper_ids2path.json`` /
``synthia_ids2path.json``, class id -> frame list). The toolbox writes one per dataset config
(``tools/data/class_frame_index.py``, library ``uda_toolbox.data_prep.class_frame_index``) and
reads it at training time (``uda_toolbox.models.long_tail_bank``); this module is the file format
both sides share. JSON::

    {"format": "uda_toolbox class-frame index", "version": 1,
     "num_classes": C, "frame": -1,              # which frame of each item was indexed
     "dataset": "<type> at <data_root>",         # for messages only
     "items": [[clip_id, frame_id], ...],         # dataset item i (its position) and its frame
     "classes": {"k": [[i, pixels], ...], ...}}   # items whose frame shows class k, pixel counts
"""
import json
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np

from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError
from uda_toolbox.utils.io import atomic_write

INDEX_FORMAT = 'uda_toolbox class-frame index'
INDEX_VERSION = 1
INDEX_COMMAND = 'python tools/data/class_frame_index.py CONFIG'


def class_pixel_counts(label: np.ndarray, num_classes: int) -> Dict[int, int]:
    """``{class: pixels}`` of a label map (H, W) for the classes 0..C-1 that occur (ignore and
    other values are not counted)."""
    values = np.asarray(label).reshape(-1).astype(np.int64)
    values = values[(values >= 0) & (values < num_classes)]
    counts = np.bincount(values, minlength=num_classes)
    return {int(k): int(n) for k, n in enumerate(counts) if n > 0}


def make_index(items: Sequence[Tuple[str, int]], counts: Sequence[Dict[int, int]],
               num_classes: int, frame: int = -1, dataset: str = '') -> dict:
    """The index of a dataset: ``items[i]`` = (clip_id, frame_id) of item i, ``counts[i]`` its
    frame's :func:`class_pixel_counts`."""
    classes: Dict[str, List[List[int]]] = {}
    for i, per_class in enumerate(counts):
        for k, pixels in sorted(per_class.items()):
            classes.setdefault(str(k), []).append([i, pixels])
    return dict(format=INDEX_FORMAT, version=INDEX_VERSION, num_classes=int(num_classes),
                frame=int(frame), dataset=dataset,
                items=[[str(clip), int(frame_id)] for clip, frame_id in items], classes=classes)


def index_path(index_file: str, dataset: dict) -> str:
    """``index_file`` with ``{data_root}`` replaced by the bank dataset's ``data_root``, so that a
    config whose data root is overridden (``--cfg-options data_root=...``) reads and writes the
    index of the same tree."""
    return index_file.replace('{data_root}', str(dataset.get('data_root', '')))


def write_index(path: str, index: dict) -> None:
    """Write an index atomically (temp file + rename)."""
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(index, separators=(',', ':')))


def read_index(path: str) -> dict:
    """Read and check an index file; errors name the file and the command that writes it."""
    if not osp.isfile(path):
        raise DataNotFoundError(f'class-frame index {path!r} does not exist. Write it with: '
                                f'{INDEX_COMMAND} (docs/methods/da_stc.md, "Long-tail bank").')
    try:
        with open(path) as f:
            index = json.load(f)
    except (OSError, ValueError) as exc:
        raise DataFormatError(f'class-frame index {path!r} is not readable JSON ({exc}); write it '
                              f'again with: {INDEX_COMMAND}') from exc
    if not isinstance(index, dict) or index.get('format') != INDEX_FORMAT:
        raise DataFormatError(f'{path!r} is not a class-frame index (no "format": '
                              f'{INDEX_FORMAT!r}); write it with: {INDEX_COMMAND}')
    if index.get('version') != INDEX_VERSION:
        raise DataFormatError(f'class-frame index {path!r} has version {index.get("version")!r}; '
                              f'this toolbox reads version {INDEX_VERSION}. Write it again with: '
                              f'{INDEX_COMMAND}')
    for key in ('num_classes', 'items', 'classes'):
        if key not in index:
            raise DataFormatError(f'class-frame index {path!r} has no {key!r}; write it again '
                                  f'with: {INDEX_COMMAND}')
    return index
