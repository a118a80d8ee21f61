"""Source/target pairing for unsupervised domain adaptation (and target-only source-free runs)."""
import copy
from typing import Any, Optional, Union

from uda_toolbox.registry import DATASETS


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

    Args:
        source: Source dataset or its config; None for target-only (source-free) training.
        target: Target dataset or its config.
        lazy_init: Defer ``full_init`` of the datasets to the first access.
    """

    def __init__(self, source: Optional[Union[dict, Any]], target: Union[dict, Any],
                 lazy_init: bool = False) -> None:
        self.source = None if source is None else _build(source, 'source')
        self.target = _build(target, 'target')
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
        self._fully_initialized = True

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
        return dict(source=self.source[idx // n_target], target=self.target[idx % n_target])

    def __repr__(self) -> str:
        source = 'None' if self.source is None else (
            f'{type(self.source).__name__} x '
            f'{len(self.source) if self._fully_initialized else "?"}')
        return (f'{type(self).__name__}(source={source}, '
                f'target={type(self.target).__name__} x '
                f'{len(self.target) if self._fully_initialized else "?"})')
