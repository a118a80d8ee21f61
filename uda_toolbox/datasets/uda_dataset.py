"""Source/target pairing for unsupervised domain adaptation (and target-only source-free runs)."""
import copy
import os.path as osp
from typing import Any, Optional, Union

import numpy as np
import torch

from uda_toolbox.datasets.rare_class_sampling import RareClassSampler, read_class_stats
from uda_toolbox.registry import DATASETS
from uda_toolbox.utils.class_frame_index import index_path
from uda_toolbox.utils.classes import IGNORE_INDEX
from uda_toolbox.utils.options import with_defaults

#: DAFormer's rare-class sampling (official DAFormer config): T = 0.01, 3000 pixels, crop >= 50 %.
RCS_DEFAULTS = dict(class_stats=None, temperature=0.01, min_pixels=3000, min_crop_ratio=0.5)


def _build(dataset: Union[dict, Any], name: str) -> Any:
    """Build ``dataset`` from a config dict, or take it as is if already a dataset."""
    if isinstance(dataset, dict):
        return DATASETS.build(dataset)
    if not (hasattr(dataset, '__getitem__') and hasattr(dataset, '__len__')):
        raise TypeError(f'UDADataset: {name} must be a dataset config dict or a dataset, got '
                        f'{type(dataset).__name__}.')
    return dataset


@DATASETS.register_module()
class UDADataset:
    """Every (source item, target item) pair: a labelled source and an unlabelled target.

    Item ``i`` is ``dict(source=source[i // len(target)], target=target[i % len(target)])``
    and the length is ``len(source) * len(target)``, so a shuffled sampler draws
    independent random pairs. ``metainfo`` is the target's (evaluation happens there).

    With ``source=None`` (source-free adaptation, docs/source_free.md) item ``i`` is
    ``dict(target=target[i])`` and the length is ``len(target)``: no source dataset is built,
    so no source file is ever listed or opened.

    With ``rare_class_sampling`` (DAFormer Sec. 3.3; ``datasets/rare_class_sampling.py``) the
    index is ignored: every item draws a rare class, a source clip containing it and a random
    target clip, all from numpy's global generator (as the clip transforms do, so mmengine's
    replay of the dataloader on resume draws them again).

    Args:
        source: Source dataset or its config; None for target-only (source-free) training.
        target: Target dataset or its config.
        rare_class_sampling: None (off), or ``class_stats`` (the file of
            ``tools/data/class_frequencies.py``; ``{data_root}`` in it stands for the source
            dataset's ``data_root``, so a data root override reads the statistics of its tree),
            ``temperature`` (0.01), ``min_pixels`` (3000),
            ``min_crop_ratio`` (0.5; 0 draws no second crop). Needs a source dataset.
        lazy_init: Defer ``full_init`` of the datasets to the first access.
    """

    def __init__(self, source: Optional[Union[dict, Any]], target: Union[dict, Any],
                 rare_class_sampling: Optional[dict] = None, lazy_init: bool = False) -> None:
        if source is None and rare_class_sampling is not None:
            raise ValueError('UDADataset: rare_class_sampling draws source clips; it needs a '
                             'source dataset (remove it from a source-free config).')
        self.source = None if source is None else _build(source, 'source')
        self.target = _build(target, 'target')
        self.rcs_cfg = None
        if rare_class_sampling is not None:
            self.rcs_cfg = with_defaults('UDADataset: rare_class_sampling', rare_class_sampling,
                                         RCS_DEFAULTS)
            if not self.rcs_cfg['class_stats']:
                raise ValueError('UDADataset: rare_class_sampling.class_stats must name the file '
                                 'written by tools/data/class_frequencies.py')
        self.rcs: Optional[RareClassSampler] = None
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """A copy of the target's metainfo (classes, palette)."""
        return copy.deepcopy(getattr(self.target, 'metainfo', {}))

    def full_init(self) -> None:
        """Fully initialise the datasets (mmengine's Runner calls this)."""
        if self._fully_initialized:
            return
        for dataset in (self.source, self.target):
            if hasattr(dataset, 'full_init'):
                dataset.full_init()
        if self.rcs_cfg is not None:
            self.rcs = self._build_sampler()
        self._fully_initialized = True

    def _build_sampler(self) -> RareClassSampler:
        """The rare-class sampler over the source items (label paths relative to its data root)."""
        root = getattr(self.source, 'data_root', None) or ''
        path = index_path(self.rcs_cfg['class_stats'], dict(data_root=root))
        items = []
        for index in range(len(self.source)):
            paths = self.source.get_data_info(index)['seg_map_paths']
            items.append([None if p is None else osp.relpath(p, root) for p in paths])
        return RareClassSampler(items, read_class_stats(path), self.rcs_cfg['temperature'],
                                self.rcs_cfg['min_pixels'], stats_path=path)

    def __len__(self) -> int:
        self.full_init()
        n_source = 1 if self.source is None else len(self.source)
        return n_source * len(self.target)

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        n_target = len(self.target)
        length = len(self)
        if not -length <= idx < length:
            raise IndexError(f'UDADataset index {idx} out of range for length {length}.')
        idx %= length
        if self.source is None:
            return dict(target=self.target[idx])
        if self.rcs is not None:
            return self._rare_class_item()
        return dict(source=self.source[idx // n_target], target=self.target[idx % n_target])

    def _rare_class_item(self) -> dict:
        """DAFormer's ``get_rare_class_sample``: a rare class, a source clip with it (its crop
        drawn again up to 10 times while it keeps too few pixels of the class), a random target."""
        cls, index = self.rcs.draw()
        source = self.source[index]
        wanted = self.rcs_cfg['min_pixels'] * self.rcs_cfg['min_crop_ratio']
        if wanted > 0:
            for _ in range(10):
                if _mean_class_pixels(source, cls) > wanted:
                    break
                source = self.source[index]
        target = self.target[int(np.random.randint(len(self.target)))]
        return dict(source=source, target=target)

    def __repr__(self) -> str:
        source = 'None' if self.source is None else (
            f'{type(self.source).__name__} x '
            f'{len(self.source) if self._fully_initialized else "?"}')
        return (f'{type(self).__name__}(source={source}, '
                f'target={type(self.target).__name__} x '
                f'{len(self.target) if self._fully_initialized else "?"})')


def _mean_class_pixels(item: dict, cls: int) -> float:
    """Pixels of ``cls`` per labelled frame of a packed clip item (``gt_seg`` (T, H, W))."""
    labels = item['gt_seg']
    labels = labels if torch.is_tensor(labels) else torch.as_tensor(np.asarray(labels))
    labelled = [frame for frame in labels if (frame != IGNORE_INDEX).any()]
    if not labelled:
        return 0.0
    return sum(float((frame == cls).sum()) for frame in labelled) / len(labelled)
