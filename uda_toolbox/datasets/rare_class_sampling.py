"""Rare-class sampling of source clips (DAFormer, Hoyer et al., CVPR 2022, Sec. 3.3).

The per-class pixel counts of every source label file are computed once, offline, by
``tools/data/class_frequencies.py`` (``uda_toolbox.data_prep.class_stats``), and read here. At
training time a class c is drawn with probability

    P(c) = exp((1 - f_c) / T) / sum_c' exp((1 - f_c') / T),   f_c = n_c / sum_c' n_c,

over the classes present in the source set (n_c > 0; T = 0.01), then a source item containing
more than ``min_pixels`` pixels of c, uniformly, and, as DAFormer's code does, its random crop is
drawn again (up to 10 times) until it keeps more than ``min_pixels * min_crop_ratio`` pixels of c.
A clip item's pixel count of c is the mean over its labelled frames (an image's count in DAFormer).
"""
import json
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np

from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError

#: ``version`` of the class-statistics files this reader understands.
CLASS_STATS_VERSION = 'uda_toolbox.class_stats/1'
PREPARE_HINT = ('Compute it once with: python tools/data/class_frequencies.py <config> '
                '(it writes the file the config names in '
                'train_dataloader.dataset.rare_class_sampling.class_stats).')


def read_class_stats(path: str) -> dict:
    """The class-statistics file: ``version``, ``num_classes``, ``files`` ({label path relative to
    the source data root: {class id (str): pixel count}})."""
    if not osp.isfile(path):
        raise DataNotFoundError(f'rare-class sampling: class statistics {path!r} '
                                f'(train_dataloader.dataset.rare_class_sampling.class_stats) do not '
                                f'exist. {PREPARE_HINT}')
    with open(path) as f:
        try:
            stats = json.load(f)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f'rare-class sampling: {path!r} is not valid JSON ({exc}). '
                                  f'{PREPARE_HINT}') from exc
    if not isinstance(stats, dict) or stats.get('version') != CLASS_STATS_VERSION:
        raise DataFormatError(f'rare-class sampling: {path!r} is not a class-statistics file of '
                              f'version {CLASS_STATS_VERSION!r}. {PREPARE_HINT}')
    return stats


def total_class_pixels(files: Dict[str, Dict[str, int]]) -> Dict[int, int]:
    """Pixels of each class over all files (classes with at least one pixel)."""
    totals: Dict[int, int] = {}
    for counts in files.values():
        for cls, n in counts.items():
            totals[int(cls)] = totals.get(int(cls), 0) + int(n)
    return {cls: n for cls, n in sorted(totals.items()) if n > 0}


def rcs_class_probabilities(pixels: Dict[int, int], temperature: float
                            ) -> Tuple[List[int], np.ndarray]:
    """DAFormer Sec. 3.3: a softmax of (1 - f_c) / T over the classes with pixels.

    Args:
        pixels: {class id: pixel count over the source set}.
        temperature: T (0.01 in DAFormer; smaller favours rare classes more).
    Returns:
        (classes, probabilities) in class-id order.
    """
    if temperature <= 0:
        raise ValueError(f'rare_class_sampling.temperature must be > 0, got {temperature}')
    classes = [c for c, n in sorted(pixels.items()) if n > 0]
    if not classes:
        raise ValueError('rare-class sampling: the class statistics have no labelled pixel')
    counts = np.array([pixels[c] for c in classes], dtype=np.float64)
    logits = (1.0 - counts / counts.sum()) / temperature
    logits -= logits.max()  # the same softmax, without overflow
    probs = np.exp(logits)
    return classes, probs / probs.sum()


class RareClassSampler:
    """Draws source items by rare-class sampling (see the module docstring).

    Args:
        item_label_paths: Label paths of each source item's frames (None for unlabelled frames),
            relative to the source data root, in item order.
        class_stats: The class-statistics file's content (:func:`read_class_stats`).
        temperature: T of the sampling softmax (0.01).
        min_pixels: An item is a candidate for class c when its frames hold more than this many
            pixels of c on average (3000, DAFormer's ``min_pixels``).
        stats_path: The file's path, for messages.
    """

    def __init__(self, item_label_paths: Sequence[Sequence[str]], class_stats: dict,
                 temperature: float = 0.01, min_pixels: int = 3000, stats_path: str = ''):
        files = class_stats['files']
        self.classes, self.probabilities = rcs_class_probabilities(
            total_class_pixels(files), temperature)
        self.items_with_class: Dict[int, List[int]] = {c: [] for c in self.classes}
        for index, paths in enumerate(item_label_paths):
            labelled = [p for p in paths if p is not None]
            if not labelled:
                continue
            missing = [p for p in labelled if p not in files]
            if missing:
                raise DataFormatError(
                    f'rare-class sampling: {stats_path!r} has no counts for {missing[0]!r} (and '
                    f'{len(missing) - 1} more label files of the source set): it was computed for '
                    f'other data. {PREPARE_HINT}')
            for cls in self.classes:
                mean = sum(int(files[p].get(str(cls), 0)) for p in labelled) / len(labelled)
                if mean > min_pixels:
                    self.items_with_class[cls].append(index)
        empty = [c for c in self.classes if not self.items_with_class[c]]
        if empty:
            # DAFormer asserts every class has a sample; drop such classes instead, with a note.
            keep = [i for i, c in enumerate(self.classes) if c not in empty]
            self.classes = [self.classes[i] for i in keep]
            self.probabilities = self.probabilities[keep] / self.probabilities[keep].sum()
            for c in empty:
                del self.items_with_class[c]
        self.dropped_classes = empty
        if not self.classes:
            raise ValueError(f'rare-class sampling: no source item has more than {min_pixels} '
                             'pixels of any class (rare_class_sampling.min_pixels); lower it '
                             '(DAFormer: 3000 at GTA\'s 1914 x 1052 frames).')

    def draw(self) -> Tuple[int, int]:
        """(class, source item index), from numpy's global generator like the clip transforms."""
        cls = int(np.random.choice(self.classes, p=self.probabilities))
        return cls, int(np.random.choice(self.items_with_class[cls]))
