"""Pseudo-label threshold policies (registry ``PSEUDO_LABEL_POLICIES``).

A policy turns softmax predictions into hard pseudo labels (255 = ignored). The pseudo-label
generator drives it round by round::

    policy.start_round(r)
    if policy.two_pass:                  # statistics over the whole target set first
        for probs in instances: policy.observe(probs)
        policy.finish_observation()
    for probs in instances: labels = policy.label(probs)

``probs`` is one *instance*, (K, C, H, W): an image batch for IAST (its code uses 2 images), a
whole clip for the clip-adaptive policy (Shin et al. (2021) Eq. 11). Equations, defaults and their sources are
in docs/pseudo_labels.md.

Rounds sharded over processes (docs/pseudo_labels.md, "Sharded rounds") use two more hooks: a
two-pass policy's ``finish_observation(all_reduce)`` combines the statistics of every process
exactly, and a *sequential* policy (the labels of an instance depend on the instances before it,
IAST's EMA) splits ``label`` into ``summarize`` (parallel), ``advance`` (in the single-process
order, one process after another) and ``label_with`` (parallel).
"""
import math
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from uda_toolbox.registry import PSEUDO_LABEL_POLICIES
from uda_toolbox.utils.classes import IGNORE_INDEX
from uda_toolbox.utils.soft_labels import encode_top2

#: ``all_reduce(array, op)``: the element-wise ``op`` ('sum' or 'max') of an integer array over
#: every process of a sharded round (the identity in one process).
AllReduce = Callable[[np.ndarray, str], np.ndarray]


def _local_reduce(array: np.ndarray, op: str) -> np.ndarray:
    return array


def _confidences(probs: Tensor) -> Tuple[np.ndarray, np.ndarray]:
    """(max probability, argmax) over classes as numpy (K, H, W) float32 / uint8.

    The argmax is the first class holding the maximum, as ``torch.max(dim=1)`` returns, computed
    from ``amax`` and an equality test: on CPU ``torch.max`` with indices over the class axis is
    a slow strided reduction, 10-20x the time of ``amax`` (docs/performance_rounds_and_eval.md).
    """
    if probs.dim() != 4:
        raise ValueError(f'a policy takes probs (K, C, H, W), got shape {tuple(probs.shape)}')
    if probs.shape[1] >= IGNORE_INDEX:
        raise ValueError(f'{probs.shape[1]} classes do not fit uint8 labels with ignore {IGNORE_INDEX}')
    conf, pred = max_and_first_argmax(probs.detach().float())
    if torch.isnan(conf).any():
        raise ValueError('pseudo-label policy: the predictions contain NaN (a diverged model or a '
                         'broken model_fn); no threshold can be taken from them.')
    return conf.cpu().numpy(), pred.cpu().numpy()


def max_and_first_argmax(values: Tensor, with_last: bool = False) -> Tuple[Tensor, ...]:
    """Over dim 1 of (K, C, ...) values (C < 255): the maximum and the first index holding it
    (``torch.max(dim=1)``'s values and indices, the indices as uint8); ``with_last`` also gives
    the last index holding it, so ``first != last`` marks ties. NaN maxima get no valid index
    (C, where no class equals NaN): callers reject or ignore them."""
    num = values.shape[1]
    shape = (1, num) + (1,) * (values.dim() - 2)
    top = values.amax(dim=1)
    hits = values == top.unsqueeze(1)
    down = torch.arange(num, 0, -1, dtype=torch.uint8, device=values.device).view(shape)
    first = num - (hits * down).amax(dim=1)  # C - (C - first index)
    if not with_last:
        return top, first
    up = torch.arange(1, num + 1, dtype=torch.uint8, device=values.device).view(shape)
    return top, first, (hits * up).amax(dim=1) - 1


def _to_labels(pred: np.ndarray, keep: np.ndarray, device: torch.device) -> Tensor:
    labels = np.where(keep, pred, np.uint8(IGNORE_INDEX)).astype(np.uint8, copy=False)
    return torch.from_numpy(labels).to(device)


_BITS = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def kth_largest(sorted_values: List[np.ndarray], ranks: np.ndarray,
                all_reduce: Optional[AllReduce] = None, lower: Optional[np.ndarray] = None,
                upper: Optional[np.ndarray] = None) -> np.ndarray:
    """For each set c, its ``ranks[c]``-th largest value (1-based) over every process, exactly.

    The values are non-negative floats (confidences, random keys), whose bit patterns sort as the
    values do; a bisection over the bit patterns finds the largest t with at least ``ranks[c]``
    values >= t, which is that value. Each step sums one count per set over the processes, so no
    process needs another's values (a sharded round's exact equivalent of sorting them all).

    Args:
        sorted_values: Per set, this process's values sorted ascending (float32 or float64, one
            dtype for all sets).
        ranks: (S,) int, the wanted rank per set (summed over processes) >= 1; 0 gives NaN.
        all_reduce: See :data:`AllReduce`; None for one process.
        lower, upper: (S,) int bit patterns that bracket the answer (every set has at least
            ``ranks[c]`` values >= the value of ``lower[c]``, fewer >= that of ``upper[c]``),
            to start the bisection there; default 0 and the pattern of +inf.
    Returns:
        (S,) values of the sets' dtype (NaN where the rank is 0).
    """
    all_reduce = all_reduce or _local_reduce
    dtype = sorted_values[0].dtype if sorted_values else np.dtype(np.float32)
    bits = _BITS[dtype]
    ranks = np.asarray(ranks, np.int64)
    # Invariant: at least ranks[c] values >= float(lo[c]), fewer than that >= float(hi[c]).
    lo = np.zeros(len(ranks), np.int64) if lower is None else np.array(lower, np.int64)
    hi = (np.full(len(ranks), int(np.array(np.inf, dtype).view(bits)), np.int64) if upper is None
          else np.array(upper, np.int64))
    while (hi - lo > 1).any():  # the same steps in every process: lo, hi come from global sums
        mid = lo + (hi - lo) // 2
        thresholds = mid.astype(bits).view(dtype)
        counts = np.array([v.size - np.searchsorted(v, t, side='left')
                           for v, t in zip(sorted_values, thresholds)], np.int64)
        enough = all_reduce(counts, 'sum') >= ranks
        lo = np.where(enough, mid, lo)
        hi = np.where(enough, hi, mid)
    out = lo.astype(bits).view(dtype).astype(dtype)
    out[ranks < 1] = np.nan
    return out


#: Bits below the histogram bin of a float32 confidence in :func:`kth_largest_by_histogram`: a
#: bin is a sign, the exponent and the 7 leading mantissa bits (128 bins per octave).
_BIN_SHIFT = 16
#: Pixels per ``np.bincount`` call, so many small instances cost few calls.
_CHUNK_PIXELS = 1 << 20


def _chunks(conf: List[np.ndarray], pred: List[np.ndarray]) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """The stored (confidence, class) arrays joined into pieces of about ``_CHUNK_PIXELS``."""
    start = 0
    while start < len(conf):
        stop, pixels = start, 0
        while stop < len(conf) and (pixels == 0 or pixels + conf[stop].size <= _CHUNK_PIXELS):
            pixels += conf[stop].size
            stop += 1
        if stop - start == 1:
            yield conf[start], pred[start]
        else:
            yield np.concatenate(conf[start:stop]), np.concatenate(pred[start:stop])
        start = stop


def kth_largest_by_histogram(conf: List[np.ndarray], pred: List[np.ndarray], num_classes: int,
                             ranks_of: Callable[[np.ndarray], np.ndarray],
                             all_reduce: Optional[AllReduce] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Per class c, the ``ranks[c]``-th largest confidence of the pixels predicted as c, over
    every process, exactly (the value :func:`kth_largest` gives on the sorted sets).

    One histogram per class over the leading bits of the float32 confidences (their bit patterns
    sort as the values do) gives the bin that holds the k-th value and how many values lie
    above it; only the values in that one bin are then kept, and :func:`kth_largest` finds the
    exact value among them, starting from the bin's edges. Three passes over the pixels in all,
    no per-class selection and no sort of the whole set (CBST's pass 1 used to cost half a model
    pass, docs/performance_rounds_and_eval.md).

    Args:
        conf: This process's confidences, float32 arrays (non-negative, not NaN).
        pred: Their classes, uint8 arrays of the same sizes.
        num_classes: C (the same in every process).
        ranks_of: (C,) pixels per class over every process -> (C,) 1-based ranks (0 gives NaN).
        all_reduce: See :data:`AllReduce`; None for one process.
    Returns:
        (values (C,) float32, ranks (C,) int64).
    """
    all_reduce = all_reduce or _local_reduce
    # The bins present anywhere: a histogram over [first, last] only (softmax: about 500 bins).
    bounds = np.array([-(1 << 31), -1], np.int64)  # (-first, last); no values: an empty range
    for values in conf:
        if values.size:
            top = values.view(np.int32) >> _BIN_SHIFT
            if top.min() < 0:
                raise ValueError('class-balanced thresholds take non-negative confidences '
                                 f'(probabilities); got {values.min()}. Check the model_fn.')
            bounds = np.maximum(bounds, [-int(top.min()), int(top.max())])
    bounds = all_reduce(bounds, 'max')
    first, last = -bounds[0], bounds[1]
    width = max(int(last - first + 1), 1)
    hist = np.zeros(num_classes * width, np.int64)
    for values, classes in _chunks(conf, pred):
        key = (values.view(np.int32) >> _BIN_SHIFT) - np.int32(first)
        key += classes.astype(np.int32) * np.int32(width)
        hist += np.bincount(key, minlength=hist.size)
    hist = all_reduce(hist, 'sum').reshape(num_classes, width)
    ranks = np.asarray(ranks_of(hist.sum(axis=1)), np.int64)
    # Counting down from the top bin: the bin where the running count reaches the rank.
    above = np.cumsum(hist[:, ::-1], axis=1)  # above[c, j]: values in the top j + 1 bins
    wanted = ranks >= 1
    top_bins = np.where(wanted, (above < ranks[:, None]).sum(axis=1), 0)
    top_bins = np.minimum(top_bins, width - 1)
    bins = np.where(wanted, last - top_bins, -1)  # the bin (leading bits) of the k-th value
    rows = np.arange(num_classes)
    before = np.where(top_bins > 0, above[rows, np.maximum(top_bins - 1, 0)], 0)
    in_bin: List[List[np.ndarray]] = [[] for _ in range(num_classes)]
    lookup = bins.astype(np.int32)
    for values, classes in _chunks(conf, pred):
        hit = (values.view(np.int32) >> _BIN_SHIFT) == lookup[classes]
        if hit.any():
            key = (classes[hit].astype(np.int64) << 32) | values[hit].view(np.int32)
            key.sort()
            ends = np.searchsorted(key, np.arange(1, num_classes + 1, dtype=np.int64) << 32)
            for c, (a, b) in enumerate(zip(np.r_[0, ends[:-1]], ends)):
                if b > a:
                    in_bin[c].append((key[a:b] & 0xFFFFFFFF).astype(np.uint32).view(np.float32))
    sets = [np.sort(np.concatenate(v)) if len(v) > 1 else v[0] if v else np.zeros(0, np.float32)
            for v in in_bin]
    lower = np.maximum(bins, 0) << _BIN_SHIFT
    values = kth_largest(sets, np.where(wanted, ranks - before, 0), all_reduce,
                         lower=lower, upper=lower + (1 << _BIN_SHIFT))
    return values, ranks


class BasePolicy:
    """Interface shared by the policies (see the module docstring for the call order)."""

    two_pass: bool = False
    #: The labels of an instance depend on the instances labelled before it (in order).
    sequential: bool = False

    def start_round(self, round_idx: int) -> None:
        """Begin pseudo-label round ``round_idx`` (0-based)."""
        self.round_idx = int(round_idx)

    def observe(self, probs: Tensor, index: Optional[int] = None) -> None:
        """Collect statistics of one instance (two-pass policies only).

        Args:
            probs: The instance, (K, C, H, W).
            index: Its position in the round's instance order (None: the one after the last
                observed), so that a process observing a shard draws what one process would.
        """

    def finish_observation(self, all_reduce: Optional[AllReduce] = None) -> None:
        """Turn the collected statistics into thresholds (two-pass policies only); with
        ``all_reduce``, those of every process of a sharded round."""

    def label(self, probs: Tensor) -> Tensor:
        """Pseudo labels (K, H, W) uint8, 255 where ignored, of one instance (K, C, H, W)."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        raise NotImplementedError

    def load_state_dict(self, state: dict) -> None:
        raise NotImplementedError


# ----------------------------------------------------------------- CBST / CRST
@PSEUDO_LABEL_POLICIES.register_module()
class ClassBalancedPolicy(BasePolicy):
    """CBST's class-balanced thresholds (Zou et al., ECCV 2018), also CRST's label selection.

    Over the whole target set, for each class c the max-probabilities of the pixels predicted as
    c are sorted in descending order and k_c is the floor(n_c * p)-th of them (1-based; k_c = 1
    when that count is 0). A pixel is labelled argmax_c p_c / k_c, ignored where
    max_c p_c / k_c < 1. The portion p is ``portion + round_idx * portion_step``, at most
    ``max_portion`` (CRST code: 0.2, +0.05 per round, 0.5).

    Args:
        portion: p of round 0.
        portion_step: Increase of p per round.
        max_portion: Cap on p.
        max_samples_per_class: None (default) keeps every confidence, so k_c is exact. An
            integer keeps a uniform random sample of at most that many confidences per class
            (the quantile of the sample estimates k_c); set it for large target sets, where
            storing every pixel's confidence does not fit in memory.
        seed: Seed of that sampling (deterministic for a given observation order).
    """

    two_pass = True

    def __init__(self, portion: float = 0.2, portion_step: float = 0.05, max_portion: float = 0.5,
                 max_samples_per_class: Optional[int] = None, seed: int = 0) -> None:
        if not 0 < portion <= 1 or not 0 < max_portion <= 1 or portion_step < 0:
            raise ValueError('ClassBalancedPolicy needs 0 < portion <= 1, 0 < max_portion <= 1 and '
                             f'portion_step >= 0, got {portion}, {max_portion}, {portion_step}')
        if max_samples_per_class is not None and max_samples_per_class < 1:
            raise ValueError(f'max_samples_per_class must be None or >= 1, got {max_samples_per_class}')
        self.portion = portion
        self.portion_step = portion_step
        self.max_portion = max_portion
        self.max_samples_per_class = max_samples_per_class
        self.seed = seed
        self.round_idx = 0
        self.thresholds: Optional[np.ndarray] = None  # k_c of the current round, (C,)
        self._reset_observation()

    @property
    def current_portion(self) -> float:
        return min(self.portion + self.round_idx * self.portion_step, self.max_portion)

    def start_round(self, round_idx: int) -> None:
        super().start_round(round_idx)
        self.thresholds = None
        self._reset_observation()

    def _reset_observation(self) -> None:
        self._values: Dict[int, List[np.ndarray]] = {}
        self._keys: Dict[int, List[np.ndarray]] = {}
        self._conf: List[np.ndarray] = []  # exact k_c: every pixel's confidence and class
        self._pred: List[np.ndarray] = []
        self._num_classes: Optional[int] = None
        self._next_index = 0

    def observe(self, probs: Tensor, index: Optional[int] = None) -> None:
        conf, pred = _confidences(probs)
        if self._num_classes not in (None, probs.shape[1]):
            raise ValueError(f'observe: got {probs.shape[1]} classes after {self._num_classes}')
        self._num_classes = probs.shape[1]
        index = self._next_index if index is None else int(index)
        self._next_index = index + 1
        conf, pred = conf.ravel(), pred.ravel()
        if self.max_samples_per_class is None:
            # Kept whole (5 bytes a pixel); finish_observation histograms them per class.
            self._conf.append(conf)
            self._pred.append(pred)
            return
        # Random keys of the sampling drawn per instance: the same whichever process observes it.
        rng = np.random.default_rng([self.seed, self.round_idx, index])
        keys = rng.random(conf.size)
        for c in np.unique(pred):
            selected = pred == c
            self._values.setdefault(int(c), []).append(conf[selected])
            self._keys.setdefault(int(c), []).append(keys[selected])
            self._subsample(int(c))

    def _subsample(self, c: int) -> None:
        """Keep the values with the smallest random keys: a uniform sample without replacement."""
        values, keys = np.concatenate(self._values[c]), np.concatenate(self._keys[c])
        if values.size > self.max_samples_per_class:
            keep = np.argpartition(keys, self.max_samples_per_class - 1)[:self.max_samples_per_class]
            values, keys = values[keep], keys[keep]
        self._values[c], self._keys[c] = [values], [keys]

    def finish_observation(self, all_reduce: Optional[AllReduce] = None) -> None:
        all_reduce = all_reduce or _local_reduce
        num_classes = int(all_reduce(np.array([self._num_classes or 0]), 'max')[0])
        if num_classes == 0:
            raise RuntimeError('ClassBalancedPolicy.finish_observation: observe() saw no instance '
                               'this round; observe the target set first')
        if self.max_samples_per_class is None:
            # Exact: per-class histograms of the confidences, refined in the bin of the k-th.
            thresholds, ranks = kth_largest_by_histogram(
                self._conf, self._pred, num_classes, self._ranks, all_reduce)
        else:
            values = self._global_sample(num_classes, all_reduce)
            ranks = self._ranks(all_reduce(np.array([v.size for v in values], np.int64), 'sum'))
            thresholds = kth_largest(values, ranks, all_reduce)
        self.thresholds = np.where(ranks > 0, thresholds.astype(np.float64), 1.0)
        self._reset_observation()

    def _ranks(self, counts: np.ndarray) -> np.ndarray:
        """1-based rank of k_c in descending order per class (0: k_c = 1)."""
        return np.floor(counts * self.current_portion).astype(np.int64)

    def _global_sample(self, num_classes: int, all_reduce: AllReduce) -> List[np.ndarray]:
        """The values of the ``max_samples_per_class`` smallest keys of every process's samples
        (each process kept its own smallest ones): one process's sample of the whole set."""
        empty = np.zeros(0, np.float64)
        keys = [np.concatenate(self._keys[c]) if c in self._keys else empty
                for c in range(num_classes)]
        values = [np.concatenate(self._values[c]) if c in self._values else np.zeros(0, np.float32)
                  for c in range(num_classes)]
        counts = all_reduce(np.array([k.size for k in keys], np.int64), 'sum')
        cap = self.max_samples_per_class
        # The cap-th smallest key is the (n - cap + 1)-th largest.
        last_key = kth_largest([np.sort(k) for k in keys], np.maximum(counts - cap + 1, 0),
                               all_reduce)
        return [np.sort(v[k <= last]) if n > cap else np.sort(v)
                for v, k, last, n in zip(values, keys, last_key, counts)]

    def label(self, probs: Tensor) -> Tensor:
        if self.thresholds is None:
            raise RuntimeError('ClassBalancedPolicy.label before finish_observation(): it is a '
                               'two-pass policy, observe the whole target set first')
        if probs.shape[1] != self.thresholds.size:
            raise ValueError(f'label: {probs.shape[1]} classes, thresholds for {self.thresholds.size}')
        probs = probs.detach()
        k32 = self.thresholds.astype(np.float32)
        exact32 = (probs.dtype == torch.float32 and np.array_equal(k32, self.thresholds)
                   and bool((k32 >= np.finfo(np.float32).tiny).all()) and np.isfinite(k32).all())
        if not exact32:
            return _class_balanced_labels64(probs, self.thresholds)
        # In float32, with the same labels as float64 (docs/performance_rounds_and_eval.md):
        # p_c and k_c are float32 values, so max_c p_c / k_c >= 1 in float64 iff some p_c >= k_c
        # iff the float32 maximum is >= 1 (a quotient below 1 rounds to at most 1 - 2^-24); and
        # float64 quotients of float32 values tie only when the exact ones do, so their first
        # argmax is the exact one, which the float32 argmax gives wherever its maximum is unique
        # (rounding keeps the order). Pixels with a float32 tie take the float64 path.
        k = torch.from_numpy(k32).to(probs.device).view(1, -1, 1, 1)
        score, pred, last = max_and_first_argmax(probs / k, with_last=True)
        keep = score >= 1
        labels = torch.where(keep, pred, torch.full_like(pred, IGNORE_INDEX))
        tied = keep & (pred != last)
        if tied.any():
            where = tied.nonzero(as_tuple=True)
            pixels = probs.movedim(1, -1)[where]  # (n, C)
            labels[where] = _class_balanced_labels64(pixels[:, :, None, None], self.thresholds)[:, 0, 0]
        return labels

    def state_dict(self) -> dict:
        thresholds = None if self.thresholds is None else [float(v) for v in self.thresholds]
        return dict(round_idx=self.round_idx, thresholds=thresholds)

    def load_state_dict(self, state: dict) -> None:
        self.round_idx = int(state['round_idx'])
        thresholds = state.get('thresholds')
        self.thresholds = None if thresholds is None else np.asarray(thresholds, dtype=np.float64)
        self._reset_observation()


def _class_balanced_labels64(probs: Tensor, thresholds: np.ndarray) -> Tensor:
    """CBST's labels in float64: argmax_c p_c / k_c, ignored where the maximum is below 1."""
    k = torch.as_tensor(thresholds, dtype=torch.float64, device=probs.device)
    weighted = probs.double() / k.view(1, -1, 1, 1)
    score, pred = weighted.max(dim=1)
    labels = torch.where(score >= 1, pred, torch.full_like(pred, IGNORE_INDEX))
    return labels.to(torch.uint8)


@PSEUDO_LABEL_POLICIES.register_module()
class LabelEntropyPolicy(ClassBalancedPolicy):
    """CRST's LR-ENT pseudo labels (Zou et al., ICCV 2019): CBST's class-balanced k_c, then the
    closed-form *soft* labels of the label-entropy regulariser (:func:`lrent_soft_labels`).

    Each pixel gets y_k proportional to (p_k / k_k) ** (1 / alpha) and is selected where CRST's
    ``reg_score < sel_score``; its hard label is argmax y (255 where not selected). The soft
    labels of a round come from that round's predictions, as CRST's code (which saves them per
    image, crst_seg.py ``label_selection``); they are stored as their two largest classes and
    the first one's weight (``uda_toolbox.utils.soft_labels``) in a ``<stem>_soft.png`` beside
    each hard label, and the CRST adaptor (``regularizer='lrent'``) trains on them with the
    soft cross-entropy. Arguments as :class:`ClassBalancedPolicy`, plus:

    Args:
        alpha: LR-ENT's weight (0.25, CRST's lrent.sh ``--lr-weight-ent``).
    """

    #: ``label_soft`` gives (K, H, W, 3) uint8 maps: channel 0 the hard label (round writer).
    soft_labels = True

    def __init__(self, alpha: float = 0.25, **kwargs) -> None:
        if not alpha > 0:
            raise ValueError(f'LabelEntropyPolicy needs alpha > 0, got {alpha}')
        super().__init__(**kwargs)
        self.alpha = alpha

    def label(self, probs: Tensor) -> Tensor:
        return self.label_soft(probs)[..., 0]

    def label_soft(self, probs: Tensor) -> Tensor:
        """Packed soft labels (K, H, W, 3) uint8 of one instance (K, C, H, W)."""
        if self.thresholds is None:
            raise RuntimeError('LabelEntropyPolicy.label before finish_observation(): it is a '
                               'two-pass policy, observe the whole target set first')
        if probs.shape[1] != self.thresholds.size:
            raise ValueError(f'label: {probs.shape[1]} classes, thresholds for {self.thresholds.size}')
        thresholds = torch.as_tensor(self.thresholds)
        # Frame by frame: a frame's float64 maps stay in the cache (a clip's would not); the
        # values are those of the whole clip (tests/pseudo_labels/test_lrent_equivalence.py).
        return torch.cat([lrent_packed_labels(probs[i:i + 1], thresholds, self.alpha)
                          for i in range(probs.shape[0])])


# ----------------------------------------------------------------- IAST / VST
def _class_percentiles(conf: np.ndarray, pred: np.ndarray, extra: np.ndarray,
                       percents: List[float]) -> Optional[np.ndarray]:
    """Per class k, ``np.percentile(concat([extra[k]], conf[pred == k]), percents[k])`` (numpy's
    default linear method) in float64, bit for bit, from one sort of the instance.

    numpy's percentile takes the two order statistics around the virtual index (n - 1) * q / 100
    and interpolates them with its ``_lerp``; both steps are repeated here with the same float64
    operations, the order statistics read from the instance sorted by (class, confidence), so
    there is no selection or percentile call per class (IAST's update cost 15 of them per
    instance, docs/performance_rounds_and_eval.md; tests/pseudo_labels/test_policy_equivalence.py
    compares with numpy). Returns None where numpy's own handling is needed: a value NaN or
    negative (its bit pattern would not sort), or a percentage outside [0, 100].
    """
    values = conf.ravel()
    if (values.size and not values.min() >= 0) or not (extra >= 0).all():
        return None
    quantiles = [np.true_divide(q, 100) for q in percents]
    if not all(0 <= q <= 1 for q in quantiles):
        return None
    num_classes = extra.size
    order = np.sort((pred.ravel().astype(np.int64) << 32) | values.astype(np.float32).view(np.int32))
    ends = np.searchsorted(order, np.arange(num_classes + 1, dtype=np.int64) << 32)
    psi = np.empty(num_classes, np.float64)
    for k in range(num_classes):
        segment = order[ends[k]:ends[k + 1]] & 0xFFFFFFFF  # the class's float32 bit patterns
        # extra[k] goes after the values below it; ties do not matter (equal values).
        split = int(np.searchsorted(segment, _bits32(extra[k]), side='left'))
        psi[k] = _linear_percentile(segment, split, extra[k], quantiles[k])
    return psi


def _linear_percentile(segment: np.ndarray, split: int, extra: np.float64,
                       quantile: np.ndarray) -> np.float64:
    """numpy's ``_quantile`` (method 'linear'), ``_get_indexes`` and ``_lerp`` on the sorted
    union of float32 bit patterns ``segment`` and ``extra`` (inserted at ``split``)."""
    n = segment.size + 1

    def at(j: int) -> np.float64:
        j %= n  # numpy's index -1: the largest
        if j == split:
            return extra
        bits = segment[j if j < split else j - 1]
        return np.float64(np.array(bits, np.uint32).view(np.float32))

    virtual = (n - 1) * quantile
    previous = np.floor(virtual)
    following = previous + 1
    if virtual >= n - 1:
        previous = following = -1
    elif virtual < 0:
        previous = following = 0
    gamma = virtual - np.intp(previous)
    below, above = at(int(previous)), at(int(following))
    diff = above - below
    result = below + diff * gamma
    if gamma >= 0.5:
        result = above - diff * (1 - gamma)
    return result


def _bits32(value: float) -> int:
    """The int32 bit pattern of a non-negative float64 value rounded up to float32's grid, for a
    search among float32 bit patterns: the first pattern whose value is >= ``value``."""
    single = np.float32(value)
    bits = int(np.array(single).view(np.int32))
    return bits + 1 if np.float64(single) < value else bits


@PSEUDO_LABEL_POLICIES.register_module()
class InstanceAdaptivePolicy(BasePolicy):
    """IAST's instance-adaptive thresholds (Mei et al., ECCV 2020; Shin et al. (2021) Eq. 4).

    For each instance and class k: the confidences (max probability) of the pixels predicted as
    k, plus the previous theta_k itself, give Psi_k = their percentile at
    100 * (1 - alpha * theta_k ** gamma) (numpy's linear interpolation, as IAST's code);
    theta_k <- beta * theta_k + (1 - beta) * Psi_k, set to 0.999 where it reaches 1. The updated
    theta labels the same instance: a pixel whose confidence is below theta of its argmax class
    is ignored. A class absent from the instance keeps its theta.

    Args:
        alpha: Base portion of round 0 (0.2, IAST configs).
        beta: EMA momentum (0.9, IAST default config).
        gamma: Hardness exponent (8.0, IAST's GTA5/SYNTHIA configs).
        init_threshold: theta_0 of every class (0.9, IAST code; Shin et al. (2021) Algorithm 1).
        reset_each_round: True resets theta to ``init_threshold`` at every ``start_round`` (what
            IAST's code does, since each self-training round is a new run); False (default)
            carries theta over from the previous round's last instance.
        alpha_step: Increase of alpha per round, alpha = min(alpha + round_idx * alpha_step,
            max_alpha). 0 (default) keeps alpha fixed; IAST's configs raise it by 0.05 per
            self-training round (0.2, 0.25, 0.3).
        max_alpha: Cap on alpha (at most 1).
        num_classes: Optional; otherwise taken from the first instance.
    """

    def __init__(self, alpha: float = 0.2, beta: float = 0.9, gamma: float = 8.0,
                 init_threshold: float = 0.9, reset_each_round: bool = False,
                 alpha_step: float = 0.0, max_alpha: float = 1.0,
                 num_classes: Optional[int] = None) -> None:
        if not 0 < alpha <= max_alpha <= 1 or alpha_step < 0:
            raise ValueError(f'{type(self).__name__} needs 0 < alpha <= max_alpha <= 1 and '
                             f'alpha_step >= 0, got {alpha}, {max_alpha}, {alpha_step}')
        if not 0 <= beta <= 1 or not 0 < init_threshold < 1:
            raise ValueError(f'{type(self).__name__} needs 0 <= beta <= 1 and 0 < init_threshold < 1, '
                             f'got {beta}, {init_threshold}')
        self.alpha = alpha
        self.alpha_step = alpha_step
        self.max_alpha = max_alpha
        self.beta = beta
        self.gamma = gamma
        self.init_threshold = init_threshold
        self.reset_each_round = reset_each_round
        self.round_idx = 0
        self.theta: Optional[np.ndarray] = None
        if num_classes is not None:
            self.theta = np.full(num_classes, init_threshold, dtype=np.float64)

    @property
    def current_alpha(self) -> float:
        return min(self.alpha + self.round_idx * self.alpha_step, self.max_alpha)

    def start_round(self, round_idx: int) -> None:
        super().start_round(round_idx)
        if self.reset_each_round and self.theta is not None:
            self.theta = np.full(self.theta.size, self.init_threshold, dtype=np.float64)

    def update_thresholds(self, conf: np.ndarray, pred: np.ndarray) -> np.ndarray:
        """Eq. 4 / Eq. 11 on one instance's confidences and argmax (any shape); returns theta."""
        theta, alpha = self.theta, self.current_alpha
        # IAST's code appends the previous theta_k to the class's confidences.
        percents = [100 * (1 - alpha * theta[k] ** self.gamma) for k in range(theta.size)]
        psi = _class_percentiles(conf, pred, theta, percents)
        if psi is None:  # NaN, negative or out-of-range input: numpy decides (or raises)
            psi = np.empty_like(theta)
            for k in range(theta.size):
                values = np.concatenate(([theta[k]], conf[pred == k].astype(np.float64)))
                psi[k] = np.percentile(values, percents[k])
        theta = self.beta * theta + (1 - self.beta) * psi
        theta[theta >= 1] = 0.999
        self.theta = theta
        return theta

    sequential = True  # theta is an EMA over the instances in order

    def label(self, probs: Tensor) -> Tensor:
        summary = self.summarize(probs)
        return self.label_with(summary, self.advance(summary))

    def summarize(self, probs: Tensor) -> Dict[str, Any]:
        """What labelling an instance needs of its probabilities: confidence and argmax maps
        (K, H, W) and the number of classes. Independent of theta, so any process computes it."""
        conf, pred = _confidences(probs)
        return dict(conf=conf, pred=pred, num_classes=probs.shape[1],
                    device=probs.device)

    def advance(self, summary: Dict[str, Any]) -> np.ndarray:
        """Eq. 4 / Eq. 11 on the next instance (in order): update theta, return a copy of it."""
        if self.theta is None:
            self.theta = np.full(summary['num_classes'], self.init_threshold, dtype=np.float64)
        if summary['num_classes'] != self.theta.size:
            raise ValueError(f'label: {summary["num_classes"]} classes, thresholds for '
                             f'{self.theta.size}')
        return self.update_thresholds(summary['conf'], summary['pred']).copy()

    def label_with(self, summary: Dict[str, Any], theta: np.ndarray) -> Tensor:
        """Labels (K, H, W) uint8 of a summarised instance under its updated ``theta``: ignored
        where the confidence is below theta of the argmax class."""
        pred = summary['pred']  # uint8
        return _to_labels(pred, summary['conf'] >= theta[pred], summary['device'])

    def state_dict(self) -> dict:
        theta = None if self.theta is None else [float(v) for v in self.theta]
        return dict(round_idx=self.round_idx, theta=theta)

    def load_state_dict(self, state: dict) -> None:
        self.round_idx = int(state['round_idx'])
        theta = state.get('theta')
        self.theta = None if theta is None else np.asarray(theta, dtype=np.float64)


@PSEUDO_LABEL_POLICIES.register_module()
class ClipAdaptivePolicy(InstanceAdaptivePolicy):
    """Shin et al. (2021)'s clip-adaptive thresholds (Eq. 11, Algorithm 1).

    IAST's rule with one instance = one clip: pass all frames of a clip (their temporally
    aggregated predictions, Eq. 10) as ``probs`` (K = clip length); the clip's confidences per
    class give Psi, and the same updated theta labels every frame of the clip. Arguments and
    defaults as :class:`InstanceAdaptivePolicy` (Shin et al. (2021) gives theta_0 = 0.9 and names
    alpha, beta without values; IAST's are used).
    """


# ----------------------------------------------------------------- CRST label regularisation
def lrent_soft_labels(probs: Tensor, class_thresholds: Tensor, alpha: float = 0.25
                      ) -> Tuple[Tensor, Tensor]:
    """CRST-LRENT's closed-form pseudo labels (Zou et al., ICCV 2019, label regularisation).

    With the label-entropy regulariser alpha * sum_k y_k log y_k, the optimal soft label is
    y_k = (p_k / k_k) ** (1 / alpha) / sum_j (p_j / k_j) ** (1 / alpha), and a pixel is selected
    where sum_k y_k * (-log p_k + alpha * log y_k) < sum_k y_k * (-log k_k) (CRST code's
    ``reg_score < sel_score``). :class:`LabelEntropyPolicy` writes them for training.

    Args:
        probs: (K, C, H, W) softmax.
        class_thresholds: (C,) CBST's k_c (:attr:`ClassBalancedPolicy.thresholds`).
        alpha: LR-ENT weight (0.25, CRST's lrent.sh).
    Returns:
        (soft labels (K, C, H, W) float64, hard labels (K, H, W) uint8 with 255 where not
        selected).
    """
    soft, selected = _lrent_soft_selected(probs, class_thresholds, alpha)
    pred = soft.argmax(dim=1)
    labels = torch.where(selected, pred, torch.full_like(pred, IGNORE_INDEX))
    return soft, labels.to(torch.uint8)


def _lrent_soft_selected(probs: Tensor, class_thresholds: Tensor, alpha: float
                         ) -> Tuple[Tensor, Tensor]:
    """:func:`lrent_soft_labels`'s soft labels (float64) and selection mask ``reg_score <
    sel_score``; log(p + eps) is computed once and the sums are built in place, with the same
    floating-point operations in the same order as the formula (x + (-y) is x - y exactly)."""
    eps = 1e-32  # as CRST's code, inside every log
    k = torch.as_tensor(class_thresholds, dtype=torch.float64, device=probs.device).view(1, -1, 1, 1)
    log_p = torch.log(probs.detach().to(torch.float64, copy=True).add_(eps))
    log_ratio = (log_p - torch.log(k)).div_(alpha)
    soft = torch.softmax(log_ratio, dim=1)  # = normalised (p / k) ** (1 / alpha), overflow-safe
    # reg_score = sum_k soft * (-log(p + eps) + alpha * log(soft + eps))
    term = torch.log(soft + eps).mul_(alpha).sub_(log_p).mul_(soft)
    reg_score = term.sum(dim=1)
    sel_score = (soft * -torch.log(k + eps)).sum(dim=1)
    return soft, reg_score < sel_score


def lrent_packed_labels(probs: Tensor, class_thresholds: Tensor, alpha: float = 0.25) -> Tensor:
    """``encode_top2(*lrent_soft_labels(probs, class_thresholds, alpha))``, byte for byte, without
    the two slow reductions over the class axis (``argmax`` and ``topk(2)``, together about a
    third of the earlier label time on CPU): the largest and second largest soft label and their first
    classes from ``amax`` (:func:`max_and_first_argmax`). Where ``topk``'s second class is not
    determined by the values (a tie at the top or at the second place, or NaN), those pixels
    are packed by ``encode_top2`` itself.

    Returns:
        (K, H, W, 3) uint8 packed soft labels (``uda_toolbox.utils.soft_labels``).
    """
    if probs.dim() != 4 or not 2 <= probs.shape[1] < 255:  # encode_top2 raises, or > uint8 ids
        return encode_top2(*lrent_soft_labels(probs, class_thresholds, alpha))
    soft, selected = _lrent_soft_selected(probs, class_thresholds, alpha)
    top, first, first_last = max_and_first_argmax(soft, with_last=True)
    # (a NaN maximum has first = C: clamped here, packed by encode_top2 below)
    rest = soft.scatter(1, first.long().clamp_max_(soft.shape[1] - 1).unsqueeze(1), -math.inf)
    second, second_first, second_last = max_and_first_argmax(rest, with_last=True)
    hard = torch.where(selected, first, torch.full_like(first, IGNORE_INDEX))
    # encode_top2: values[0] / (values[0] + values[1]).clamp_min(tiny); the values are the
    # largest and second largest whatever the tie order.
    share = top / (top + second).clamp_min(torch.finfo(torch.float64).tiny)
    packed = torch.stack([hard, second_first, torch.round(255 * share).to(torch.uint8)], dim=-1)
    undecided = (first != first_last) | (second_first != second_last) | torch.isnan(top)
    if undecided.any():
        soft_rows = soft.permute(0, 2, 3, 1)[undecided]  # (n, C), each in class order
        pred = soft_rows.argmax(dim=1)
        hard_rows = torch.where(selected[undecided], pred, torch.full_like(pred, IGNORE_INDEX))
        packed[undecided] = encode_top2(soft_rows[:, :, None, None],
                                        hard_rows[:, None, None].to(torch.uint8))[:, 0, 0]
    return packed
