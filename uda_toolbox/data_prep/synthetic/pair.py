"""What a synthetic pair is, whatever the generator version: its parameters, splits, the seed and
name of every clip, and one rendered clip in memory (what a version's ``render_clip`` returns)."""

from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

# (domain, split) of every split, in generation order; written under ``<out_dir>/<domain>/<split>``.
SPLITS = (('source', 'train'), ('target', 'train'), ('target', 'val'))
_DOMAIN_CODE = {'source': 1, 'target': 2}
_SPLIT_CODE = {'train': 1, 'val': 2}


@dataclass(frozen=True)
class SyntheticPairParams:
    """Everything that determines the bytes written (``workers`` and ``overwrite`` do not)."""

    seed: int = 0
    style_shift: float = 0.6
    layout_shift: float = 0.6
    height: int = 64
    width: int = 128
    num_source_clips: int = 40
    num_target_train_clips: int = 40
    num_target_val_clips: int = 20
    clip_length: int = 30
    annotation_interval: int = 5

    def __post_init__(self):
        for name in (
            'seed',
            'height',
            'width',
            'num_source_clips',
            'num_target_train_clips',
            'num_target_val_clips',
            'clip_length',
            'annotation_interval',
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f'synthetic pair: {name} must be an int, got {value!r}')
            object.__setattr__(self, name, int(value))
        for name in ('style_shift', 'layout_shift'):
            value = float(getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(
                    f'synthetic pair: {name} must be in [0, 1] (0 = source, 1 = full target), '
                    f'got {value}'
                )
            object.__setattr__(self, name, value)
        if self.height < 16 or self.width < 16:
            raise ValueError(
                f'synthetic pair: height and width must be >= 16, got {self.height}x{self.width}'
            )
        if self.clip_length < 2:
            raise ValueError(
                f'synthetic pair: clip_length must be >= 2 (flow needs two frames), '
                f'got {self.clip_length}'
            )
        if not 1 <= self.annotation_interval <= self.clip_length:
            raise ValueError(
                f'synthetic pair: annotation_interval must be in [1, clip_length='
                f'{self.clip_length}], got {self.annotation_interval}'
            )
        for name in ('num_source_clips', 'num_target_train_clips', 'num_target_val_clips'):
            if getattr(self, name) < 1:
                raise ValueError(f'synthetic pair: {name} must be >= 1, got {getattr(self, name)}')
        if self.seed < 0:
            raise ValueError(f'synthetic pair: seed must be >= 0, got {self.seed}')

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def num_clips(self, domain: str, split: str) -> int:
        return {
            ('source', 'train'): self.num_source_clips,
            ('target', 'train'): self.num_target_train_clips,
            ('target', 'val'): self.num_target_val_clips,
        }[(domain, split)]

    def labelled_frames(self, domain: str) -> List[int]:
        """0-based labelled frame ids: all on the source; k-1, 2k-1, ... on the target."""
        if domain == 'source':
            return list(range(self.clip_length))
        k = self.annotation_interval
        return list(range(k - 1, self.clip_length, k))


def clip_seed(seed: int, domain: str, split: str, index: int) -> np.random.SeedSequence:
    """The seed of one clip: every clip is reproducible on its own, in any process and any order."""
    return np.random.SeedSequence([int(seed), _DOMAIN_CODE[domain], _SPLIT_CODE[split], int(index)])


def clip_streams(seed: np.random.SeedSequence, count: int = 3) -> Tuple[np.random.SeedSequence, ...]:
    """``count`` independent child sequences of a clip's ``seed`` (layout, appearance, per-frame
    noise / camera), derived without ``seed.spawn``, which mutates the SeedSequence so that a second
    call would differ."""
    return tuple(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i),
                                        pool_size=seed.pool_size) for i in range(count))


def clip_name(index: int, num_clips: int) -> str:
    """Zero-padded clip id (``003``); wider only if there are more than 1000 clips."""
    return f'{index:0{max(3, len(str(num_clips - 1)))}d}'



@dataclass
class RenderedClip:
    """One clip in memory: frames (T of (H, W, 3) uint8 BGR), labels (T of (H, W) uint8 train ids),
    flows (T - 1 each, (H, W, 2) float32 (dx, dy)): ``flow_fw[t]`` from frame t to t+1,
    ``flow_bw[t]`` from t+1 to t."""

    frames: List[np.ndarray]
    labels: List[np.ndarray]
    flow_fw: List[np.ndarray]
    flow_bw: List[np.ndarray]
