"""Source/target pairing for unsupervised domain adaptation."""
import copy
from typing import Any, Union

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

    Args:
        source: Source dataset or its config.
        target: Target dataset or its config.
        lazy_init: Defer ``full_init`` of both datasets to the first access.
    """

    def __init__(self, source: Union[dict, Any], target: Union[dict, Any],
                 lazy_init: bool = False) -> None:
        self.source = _build(source, 'source')
        self.target = _build(target, 'target')
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """A copy of the target's metainfo (classes, palette)."""
        return copy.deepcopy(getattr(self.target, 'metainfo', {}))

    def full_init(self) -> None:
        """Fully initialise both datasets (mmengine's Runner calls this)."""
        if self._fully_initialized:
            return
        for dataset in (self.source, self.target):
            if hasattr(dataset, 'full_init'):
                dataset.full_init()
        self._fully_initialized = True

    def __len__(self) -> int:
        self.full_init()
        return len(self.source) * len(self.target)

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        n_target = len(self.target)
        length = len(self.source) * n_target
        if not -length <= idx < length:
            raise IndexError(f'UDADataset index {idx} out of range for length {length}.')
        idx %= length
        return dict(source=self.source[idx // n_target], target=self.target[idx % n_target])

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(source={type(self.source).__name__} x '
                f'{len(self.source) if self._fully_initialized else "?"}, '
                f'target={type(self.target).__name__} x '
                f'{len(self.target) if self._fully_initialized else "?"})')
