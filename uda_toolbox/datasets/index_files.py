"""Index files of the real-data datasets: ``<split>/index.json`` written by the preparation tools
(``tools/data/viper.py index``, ``tools/data/cityscapes_vps.py index``) lists a split's frames and
labels so a dataset starts without scanning the tree. An index that is missing, unreadable, for
another dataset/version/geometry or without the needed labels is ignored (with a warning saying
how to rewrite it) and the dataset scans instead."""
import json
import os.path as osp
import warnings
from typing import Any, Callable, Dict, Optional


def read_index_file(path: str, expected: Dict[str, Any], dataset: str,
                    command: str) -> Optional[dict]:
    """Load an index JSON if every key of ``expected`` has that value in it, else None.

    A missing file gives None silently; an unreadable or mismatching one (another dataset, split,
    version or clip geometry) gives None with a warning that says to rewrite it with ``command``.
    """
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            index = json.load(f)
    except (OSError, ValueError) as exc:
        warnings.warn(f'{dataset}: ignoring unreadable index {path!r} ({exc}); rewrite it with '
                      f'{command}.', stacklevel=3)
        return None
    differ = sorted(key for key, value in expected.items()
                    if not isinstance(index, dict) or index.get(key) != value)
    if differ:
        warnings.warn(f'{dataset}: ignoring {path!r}: its {differ} differ from this dataset\'s '
                      f'({ {k: expected[k] for k in differ} }); rewrite it with {command}.',
                      stacklevel=3)
        return None
    return index


def load_listing(index_path: Optional[str], expected: Dict[str, Any], label_dir: Optional[str],
                 scan: Callable[[], dict], dataset: str, command: str) -> dict:
    """A dataset's listing: the index at ``index_path`` when it is valid and lists
    ``label_dir``'s labels (``label_dir=None``: no labels needed), else ``scan()``."""
    if index_path:
        index = read_index_file(index_path, expected, dataset, command)
        if index is not None:
            if label_dir is None or label_dir in index.get('labels', {}):
                return index
            warnings.warn(f'{dataset}: index {index_path!r} lists no {label_dir}/ labels (written '
                          f'before conversion?); scanning instead. Rewrite it with {command}',
                          stacklevel=3)
    return scan()

