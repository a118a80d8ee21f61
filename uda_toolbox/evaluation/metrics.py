"""Image (mIoU) and video (VPQ^s) metrics for video semantic segmentation.

mIoU follows mmseg's ``IoUMetric`` exactly (accumulated confusion counts,
IoU NaN where a class has an empty union, mean ignoring NaN).

VPQ^s is the video panoptic quality of Kim et al., "Video Panoptic
Segmentation", CVPR 2020, as computed by the official evaluator
(github.com/mcahny/vps, ``tools/eval_vpq.py``), with every class treated as
one *stuff* segment, as Shin et al. (2021) does ("we view the prediction of each
class as single instance (i.e. stuff)"). With one segment per class, a tube
(window of frames) is fully described by four per-class counts summed over its
frames, so the per-frame statistics of :func:`frame_vpq_stats` are all the
evaluator needs to keep. See ``docs/metrics.md`` for the rules and sources.
"""
from __future__ import annotations

import logging
import warnings
from collections import OrderedDict
from collections.abc import Mapping as MappingABC
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from uda_toolbox.registry import METRICS

from .tables import metrics_to_tables

# Rows of the (4, C) per-frame / per-tube statistics.
STAT_INTERSECTION = 0  # |pred == c  and  gt == c|
STAT_PRED_AREA = 1  # |pred == c|, including pixels whose gt is void
STAT_GT_AREA = 2  # |gt == c|  (never void)
STAT_PRED_VOID = 3  # |pred == c  and  gt == void|
NUM_STATS = 4


# --------------------------------------------------------------------------- #
# Per-frame counting
# --------------------------------------------------------------------------- #
def _checked_flat_maps(pred: np.ndarray, gt: np.ndarray, num_classes: int,
                       ignore_index: int) -> Tuple[np.ndarray, np.ndarray]:
    """Validate a (pred, gt) pair and return both flattened as int64.

    Raises:
        ValueError: on shape mismatch, a prediction outside ``[0, C)`` or a
            label that is neither in ``[0, C)`` nor ``ignore_index``.
    """
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f'prediction shape {pred.shape} != label shape {gt.shape}; '
                         'resize the prediction to the label resolution first.')
    pred = pred.reshape(-1).astype(np.int64, copy=False)
    gt = gt.reshape(-1).astype(np.int64, copy=False)
    if pred.size and (pred.min() < 0 or pred.max() >= num_classes):
        raise ValueError(f'prediction values must lie in [0, {num_classes}); got range '
                         f'[{pred.min()}, {pred.max()}]. Check num_classes.')
    labelled = gt[gt != ignore_index]
    if labelled.size and (labelled.min() < 0 or labelled.max() >= num_classes):
        raise ValueError(f'label values must lie in [0, {num_classes}) or be ignore_index='
                         f'{ignore_index}; got range [{labelled.min()}, {labelled.max()}]. '
                         'Check num_classes / ignore_index or the label maps.')
    return pred, gt


def frame_counts(pred: np.ndarray, gt: np.ndarray, num_classes: int,
                 ignore_index: int = 255) -> Tuple[np.ndarray, np.ndarray]:
    """Confusion matrix and prediction-over-void histogram of one frame.

    Args:
        pred: (H, W) predicted train ids in ``[0, C)``.
        gt: (H, W) label train ids in ``[0, C)`` or ``ignore_index``.
        num_classes: C.
        ignore_index: Void label value.

    Returns:
        ``conf`` (C, C) int64 with rows = gt, cols = pred over labelled pixels,
        and ``pred_void`` (C,) int64: pixels predicted as each class where the
        label is void.
    """
    counts = _joint_counts(pred, gt, num_classes, ignore_index)
    if counts is not None:
        return counts
    # Other dtypes, or invalid values: validate (raises, naming the problem), then count.
    pred, gt = _checked_flat_maps(pred, gt, num_classes, ignore_index)
    labelled = gt != ignore_index
    # One bincount over combined ids gt * C + pred replaces a per-class loop.
    conf = np.bincount(gt[labelled] * num_classes + pred[labelled],
                       minlength=num_classes * num_classes)
    pred_void = np.bincount(pred[~labelled], minlength=num_classes)
    return (conf.reshape(num_classes, num_classes).astype(np.int64, copy=False),
            pred_void.astype(np.int64, copy=False))


def _joint_counts(pred: np.ndarray, gt: np.ndarray, num_classes: int,
                  ignore_index: int) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """The speed path of :func:`frame_counts` for integer maps: one histogram of
    ``gt * C + pred`` over every pixel, whose row ``ignore_index`` is the prediction-over-void
    count and rows ``[0, C)`` the confusion matrix; any other non-empty row is an invalid label.

    Three passes over the pixels (plus the range checks) instead of about fifteen, in uint16
    while the histogram has at most 2^16 bins. Evaluation time is held against PNG decoding
    (tools/analysis/benchmark_speed.py, docs/performance.md).

    Returns:
        ``(conf, pred_void)``, or None where :func:`frame_counts`'s general path must decide
        (not integer maps, shapes differ, empty, or a value out of range).
    """
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape:
        return None
    counts = _batch_joint_counts([pred], [gt], num_classes, ignore_index)
    return None if counts is None else (counts[0][0], counts[1][0])


def batch_frame_counts(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray], num_classes: int,
                       ignore_index: int = 255) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`frame_counts` of several frames at once: ``conf`` (B, C, C) and ``pred_void``
    (B, C), each frame's counts exactly those of :func:`frame_counts`.

    Frames of one shape with integer maps (a test batch) are counted with one histogram of
    ``(frame * rows + gt) * C + pred``: a per-frame call costs about 15 numpy calls on maps of a
    few thousand pixels, more than the counting itself (docs/performance_rounds_and_eval.md).
    Anything else (and any invalid value, to raise its error) goes frame by frame.
    """
    counts = _batch_joint_counts(preds, gts, num_classes, ignore_index)
    if counts is not None:
        return counts
    pairs = [frame_counts(p, g, num_classes, ignore_index) for p, g in zip(preds, gts)]
    if not pairs:
        return (np.zeros((0, num_classes, num_classes), np.int64),
                np.zeros((0, num_classes), np.int64))
    return np.stack([c for c, _ in pairs]), np.stack([v for _, v in pairs])


def _batch_joint_counts(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray], num_classes: int,
                        ignore_index: int) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """:func:`_joint_counts` with a frame axis; None where the per-frame path must decide."""
    if not preds or len(preds) != len(gts) or ignore_index < 0:
        return None
    maps = (*preds, *gts)
    if (len({m.shape for m in maps}) != 1 or not preds[0].size
            or not all(m.dtype.kind in 'ui' for m in maps)):
        return None
    pred = np.stack(preds) if len(preds) > 1 else preds[0][None]
    gt = np.stack(gts) if len(gts) > 1 else gts[0][None]
    if pred.dtype.kind not in 'ui' or gt.dtype.kind not in 'ui':
        return None  # int64 stacked with uint64 promotes to float64
    if pred.max() >= num_classes or (pred.dtype.kind == 'i' and pred.min() < 0):
        return None
    rows = max(num_classes, ignore_index + 1)
    if gt.dtype == np.uint8:
        rows = max(rows, 256)  # a row for every value: no range check needed
    elif gt.min() < 0 or gt.max() >= rows:
        return None
    frames = pred.shape[0]
    bins = frames * rows * num_classes
    # Values are checked to fit, so the unsafe casts below never wrap.
    dtype = np.uint16 if bins <= 1 << 16 else np.intp
    index = np.multiply(gt, num_classes, dtype=dtype, casting='unsafe')
    if frames > 1:  # frame f's histogram starts at bin f * rows * C
        offsets = np.arange(frames, dtype=dtype) * dtype(rows * num_classes)
        np.add(index, offsets.reshape((frames,) + (1,) * (index.ndim - 1)), out=index,
               casting='unsafe')
    np.add(index, pred, out=index, casting='unsafe')
    counts = np.bincount(index.ravel(), minlength=bins).reshape(frames, rows, num_classes)
    conf = counts[:, :num_classes].astype(np.int64)
    pred_void = counts[:, ignore_index].astype(np.int64)
    # Every pixel counted in a class row or the void row, else a label value is neither.
    known = conf.sum() + (pred_void.sum() if ignore_index >= num_classes else 0)
    if known != index.size:
        return None
    if ignore_index < num_classes:
        conf[:, ignore_index] = 0  # void pixels are not labelled, even with a class's id
    return conf, pred_void


def batch_vpq_stats_from_counts(conf: np.ndarray, pred_void: np.ndarray) -> np.ndarray:
    """:func:`vpq_stats_from_counts` of (B, C, C) / (B, C) counts: (B, 4, C) int64."""
    stats = np.empty((conf.shape[0], NUM_STATS, conf.shape[1]), dtype=np.int64)
    stats[:, STAT_INTERSECTION] = np.diagonal(conf, axis1=1, axis2=2)
    stats[:, STAT_PRED_AREA] = conf.sum(axis=1) + pred_void
    stats[:, STAT_GT_AREA] = conf.sum(axis=2)
    stats[:, STAT_PRED_VOID] = pred_void
    return stats


def vpq_stats_from_counts(conf: np.ndarray, pred_void: np.ndarray) -> np.ndarray:
    """Per-class VPQ^s statistics (4, C) from :func:`frame_counts` outputs.

    Rows: intersection, pred area (labelled + void pixels), gt area, pred∩void.
    """
    conf = np.asarray(conf, dtype=np.int64)
    pred_void = np.asarray(pred_void, dtype=np.int64)
    stats = np.empty((NUM_STATS, conf.shape[0]), dtype=np.int64)
    stats[STAT_INTERSECTION] = np.diagonal(conf)
    # The official evaluator's predicted segment area counts every pixel of the
    # segment in the prediction PNG, void-labelled ones included.
    stats[STAT_PRED_AREA] = conf.sum(axis=0) + pred_void
    stats[STAT_GT_AREA] = conf.sum(axis=1)
    stats[STAT_PRED_VOID] = pred_void
    return stats


def frame_vpq_stats(pred: np.ndarray, gt: np.ndarray, num_classes: int,
                    ignore_index: int = 255) -> np.ndarray:
    """Per-class stuff-segment statistics (4, C) int64 of one frame.

    Row 0: |pred==c ∩ gt==c|, row 1: |pred==c| (all pixels), row 2: |gt==c|,
    row 3: |pred==c ∩ gt==void|. A tube's statistics are the sum over its
    frames because each class is a single segment spanning the whole tube.
    """
    return vpq_stats_from_counts(*frame_counts(pred, gt, num_classes, ignore_index))


# --------------------------------------------------------------------------- #
# Image metric
# --------------------------------------------------------------------------- #
def iou_from_confusion(conf: np.ndarray) -> np.ndarray:
    """Per-class IoU (C,) float64 = TP / (TP + FP + FN), NaN where union == 0.

    Same as mmseg ``IoUMetric.total_area_to_metrics`` (0/0 -> NaN).
    """
    conf = np.asarray(conf, dtype=np.float64)
    intersection = np.diagonal(conf)
    union = conf.sum(axis=0) + conf.sum(axis=1) - intersection
    with np.errstate(divide='ignore', invalid='ignore'):
        return intersection / union


def accuracy_from_confusion(conf: np.ndarray) -> float:
    """Overall pixel accuracy (mmseg ``aAcc``), NaN when nothing is labelled."""
    conf = np.asarray(conf, dtype=np.float64)
    total = conf.sum()
    return float(np.trace(conf) / total) if total > 0 else float('nan')


def _nanmean(values: np.ndarray, axis: Optional[int] = None):
    """``np.nanmean`` without the 'Mean of empty slice' warning (-> NaN)."""
    values = np.asarray(values)
    if values.size and not np.isnan(values).all(axis=axis).any():
        return np.nanmean(values, axis=axis)  # no empty slice: no warning to silence
    with warnings.catch_warnings():  # costs more than the mean of a few values
        warnings.simplefilter('ignore', category=RuntimeWarning)
        return np.nanmean(values, axis=axis)


# --------------------------------------------------------------------------- #
# Video metric
# --------------------------------------------------------------------------- #
def frames_per_window(window_size: int, frame_interval: int) -> int:
    """Number of annotated frames in a window of ``window_size`` frames.

    eval_vpq.py evaluates ``nframes`` in 1..4 and names it ``k = (nframes-1)*5``
    (5 = gap between annotated frames of Cityscapes-VPS), so
    ``nframes = k / frame_interval + 1``.
    """
    if frame_interval <= 0:
        raise ValueError(f'frame_interval must be > 0, got {frame_interval}.')
    if window_size < 0 or window_size % frame_interval:
        raise ValueError(f'window size k={window_size} must be a non-negative multiple of '
                         f'frame_interval={frame_interval} (annotated-frame spacing).')
    return window_size // frame_interval + 1


def tube_pq_counts(tube_stats: np.ndarray
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Match the per-class stuff segments of tubes (vectorised PQ matching).

    Args:
        tube_stats: (..., 4, C) int statistics summed over each tube's frames.

    Returns:
        ``tp, fp, fn`` (..., C) int64 in {0, 1} and ``iou`` (..., C) float64
        (the matched IoU where tp == 1, else 0).
    """
    stats = np.asarray(tube_stats, dtype=np.int64)
    inter = stats[..., STAT_INTERSECTION, :]
    pred = stats[..., STAT_PRED_AREA, :]
    gt = stats[..., STAT_GT_AREA, :]
    pred_void = stats[..., STAT_PRED_VOID, :]
    # Void pixels of the predicted segment are removed from the union
    # (eval_vpq.py: union = pred_area + gt_area - intersection - (VOID, pred)).
    union = pred + gt - inter - pred_void
    # IoU > 0.5 <=> 2 * inter > union; integer form avoids float ties.
    tp = (gt > 0) & (pred > 0) & (2 * inter > union)
    fn = (gt > 0) & ~tp
    # An unmatched prediction is not a FP when > half of it lies on void.
    fp = (pred > 0) & ~tp & ~(2 * pred_void > pred)
    iou = np.zeros(inter.shape, dtype=np.float64)
    np.divide(inter, union, out=iou, where=tp)
    return tp.astype(np.int64), fp.astype(np.int64), fn.astype(np.int64), iou


def _cumulative(stats: np.ndarray) -> np.ndarray:
    """(T, 4, C) -> (T + 1, 4, C) running sums from 0, so a window's sum is a difference."""
    return np.concatenate([np.zeros_like(stats[:1]), np.cumsum(stats, axis=0)])


def pq_from_counts(iou_sum: np.ndarray, tp: np.ndarray, fp: np.ndarray,
                   fn: np.ndarray) -> np.ndarray:
    """PQ_c = sum IoU / (TP + FP/2 + FN/2); NaN for classes with TP+FP+FN == 0."""
    denom = tp + 0.5 * fp + 0.5 * fn
    pq = np.full(np.shape(iou_sum), np.nan, dtype=np.float64)
    np.divide(iou_sum, denom, out=pq, where=denom > 0)
    return pq


def vpq_from_frame_stats(clips: Mapping[str, Union[Sequence[np.ndarray], np.ndarray]],
                         window_sizes: Sequence[int] = (0, 5, 10, 15),
                         frame_interval: int = 5) -> dict:
    """VPQ^s from per-frame statistics of the annotated frames of each clip.

    For each window size k, every run of ``k / frame_interval + 1`` consecutive
    annotated frames of a clip (stride one annotated frame, never across clips)
    is one tube; TP / FP / FN / IoU are accumulated over all tubes of all clips,
    then PQ is computed per class and averaged over classes with
    TP + FP + FN > 0.

    Args:
        clips: ``{clip_id: per-frame (4, C) stats in time order}`` (a list of
            arrays or one (T, 4, C) array).
        window_sizes: Window sizes k in frames.
        frame_interval: Frames between consecutive annotated frames.

    A window size k whose VPQ_k has no value is *undefined* (NaN): no clip has enough annotated
    frames for one window, or every class has TP + FP + FN = 0 in every window (all-void ground
    truth without false positives). Each such k is warned about (``UserWarning``) and listed in
    ``'undefined_window_sizes'``; ``'vpq'`` is then the mean over the k that have a value (the
    official evaluator would give NaN; docs/metrics.md).

    Returns:
        dict with ``'vpq'`` (mean over the defined k of VPQ_k), ``'pq_per_class'`` (C,) mean
        over k ignoring NaN, ``'undefined_window_sizes'`` (list of k) and ``'per_window'``:
        ``{k: {'vpq', 'pq' (C,), 'iou_sum', 'tp', 'fp', 'fn' (C,), 'num_windows'}}``. Values
        are fractions in [0, 1]; NaN when undefined.
    """
    nframes_of = OrderedDict((int(k), frames_per_window(int(k), frame_interval))
                             for k in window_sizes)
    if not nframes_of:
        raise ValueError('window_sizes is empty; give at least one window size, e.g. (0,).')
    sequences = {}
    for clip_id, seq in clips.items():
        arr = np.asarray(np.stack(seq) if isinstance(seq, (list, tuple)) else seq,
                         dtype=np.int64)
        if arr.ndim != 3 or arr.shape[1] != NUM_STATS:
            raise ValueError(f'clip {clip_id!r}: expected per-frame stats of shape '
                             f'(T, {NUM_STATS}, C), got {arr.shape}.')
        sequences[clip_id] = arr
    num_classes = {a.shape[2] for a in sequences.values()}
    if len(num_classes) > 1:
        raise ValueError(f'clips disagree on the number of classes: {sorted(num_classes)}.')
    if not num_classes:
        raise ValueError('no clips given to vpq_from_frame_stats.')
    (c,) = num_classes

    # One cumulative sum over the clips laid end to end serves every window size and clip (a
    # tube's sum is a difference of integer running sums, exact), and the tubes of all window
    # sizes and clips go through one vectorised matching call.
    lengths = np.array([a.shape[0] for a in sequences.values()], dtype=np.intp)
    frames = (np.concatenate(list(sequences.values())) if len(sequences) > 1
              else next(iter(sequences.values())))
    cumulative = _cumulative(frames)
    clip_ends = np.cumsum(lengths)
    # Frames left in its clip from each frame on (itself included), in frame order.
    frames_left = np.repeat(clip_ends, lengths) - np.arange(frames.shape[0])
    # eval_vpq.py: a clip shorter than the window has no tube (an empty range).
    starts = [np.flatnonzero(frames_left >= nframes) for nframes in nframes_of.values()]
    ends = np.concatenate([s + n for s, n in zip(starts, nframes_of.values())])
    all_starts = np.concatenate(starts)
    tp_all, fp_all, fn_all, iou_all = tube_pq_counts(cumulative[ends] - cumulative[all_starts])
    clip_of_start = np.searchsorted(clip_ends, all_starts, side='right')
    per_window = OrderedDict()
    first = 0
    for k, window_starts in zip(nframes_of, starts):
        count = window_starts.size
        window = slice(first, first + count)
        iou_sum = np.zeros(c, np.float64)
        if count:
            tp, fp, fn = tp_all[window].sum(0), fp_all[window].sum(0), fn_all[window].sum(0)
            # Float sums clip by clip, in clip order, as ever: each clip's slice summed along
            # axis 0 (sequentially; np.add.reduceat adds in another order), then added in turn.
            clips_here = clip_of_start[window]
            bounds = np.flatnonzero(clips_here[1:] != clips_here[:-1]) + 1
            window_iou = iou_all[window]
            for a, b in zip([0, *bounds.tolist()], [*bounds.tolist(), count]):
                iou_sum += window_iou[a:b].sum(0)
        else:
            tp, fp, fn = (np.zeros(c, np.int64) for _ in range(3))
        first += count
        pq = pq_from_counts(iou_sum, tp, fp, fn)
        per_window[k] = dict(vpq=float(_nanmean(pq)), pq=pq, iou_sum=iou_sum,
                             tp=tp, fp=fp, fn=fn, num_windows=int(count))

    undefined = [k for k, r in per_window.items() if np.isnan(r['vpq'])]
    for k in undefined:
        nframes = nframes_of[k]
        why = (f'no clip has {nframes} annotated frames' if per_window[k]['num_windows'] == 0 else
               f'every one of its {per_window[k]["num_windows"]} windows has void ground truth '
               'and no false positive (TP + FP + FN = 0 for every class)')
        defined = [str(j) for j in per_window if j not in undefined]
        warnings.warn(f'VPQ_k{k} is undefined (NaN): {why}. VPQ is the mean over '
                      + (f'k = {", ".join(defined)} only' if defined else 'no k: NaN'),
                      UserWarning, stacklevel=2)
    vpq_k = np.array([r['vpq'] for r in per_window.values()])
    pq_k = np.stack([r['pq'] for r in per_window.values()])
    return dict(vpq=float(_nanmean(vpq_k)), pq_per_class=_nanmean(pq_k, axis=0),
                undefined_window_sizes=undefined, per_window=per_window)


# --------------------------------------------------------------------------- #
# mmengine metric
# --------------------------------------------------------------------------- #
def _to_numpy_map(data: object, key: str) -> np.ndarray:
    """Tensor / array (1, H, W) or (H, W) -> (H, W) numpy array."""
    if hasattr(data, 'detach'):
        data = data.detach().cpu().numpy()
    arr = np.asarray(data)
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise ValueError(f"data_sample['{key}']['data'] must be (1, H, W) or (H, W), "
                         f'got shape {arr.shape}.')
    return arr


def _field(sample: Mapping, key: str) -> object:
    """``sample[key]`` or ``sample['metainfo'][key]`` with a clear error."""
    if key in sample:
        return sample[key]
    if key in sample.get('metainfo', {}):
        return sample['metainfo'][key]
    raise KeyError(f"data sample has no '{key}' (keys: {sorted(sample)}); the test pipeline "
                   "(PackFrameInputs) must put clip_id and frame_idx in the metainfo.")


@METRICS.register_module()
class ClipSegMetric(BaseMetric):
    """mIoU and VPQ^s over annotated frames of video clips.

    ``process`` keeps, per frame, (clip_id, frame_idx, confusion (C, C),
    VPQ stats (4, C)); a few KB, so results are gathered across ranks.
    ``compute_metrics`` sorts frames by (clip, frame) because ranks interleave.

    Args:
        num_classes: C; default ``len(dataset_meta['classes'])``.
        ignore_index: Void label value.
        window_sizes: VPQ window sizes k in frames. None: no VPQ^s at all (its keys are absent,
            never 0): a benchmark with one annotated frame per clip (Cityscapes-Seq) cannot
            define it.
        frame_interval: Frames between consecutive annotated frames.
        unreported_classes: Class names counted in the confusion matrix like every class but
            left out of the reported per-class IoU and of mIoU, after the IoUs are computed
            (SYNTHIA-Seq -> Cityscapes-Seq: fence, as DA-VSN's ``eval_video_UDA.py``). VPQ^s,
            when computed, keeps every class.
        collect_device: 'cpu' or 'gpu' for gathering across ranks.
        prefix: Prefix of the metric names (e.g. 'val').
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255,
                 window_sizes: Optional[Sequence[int]] = (0, 5, 10, 15),
                 frame_interval: int = 5,
                 unreported_classes: Sequence[str] = (),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.window_sizes = None if window_sizes is None else tuple(int(k) for k in window_sizes)
        self.frame_interval = int(frame_interval)
        self.unreported_classes = tuple(str(c) for c in unreported_classes)
        for k in self.window_sizes or ():  # fail at build time, not after a full test pass
            frames_per_window(k, self.frame_interval)

    def _get_num_classes(self) -> int:
        if self.num_classes is not None:
            return int(self.num_classes)
        meta = self.dataset_meta or {}
        if 'classes' not in meta:
            raise ValueError('ClipSegMetric: set num_classes or give the dataset a '
                             "metainfo with 'classes'.")
        return len(meta['classes'])

    def _class_names(self, num_classes: int) -> List[str]:
        classes = (self.dataset_meta or {}).get('classes')
        if classes is not None and len(classes) == num_classes:
            return [str(c) for c in classes]
        return [str(i) for i in range(num_classes)]

    def _reported_classes(self, classes: List[str]) -> List[int]:
        """Indices of the classes the report keeps (all but ``unreported_classes``)."""
        unknown = sorted(set(self.unreported_classes) - set(classes))
        if unknown:
            raise ValueError(f'ClipSegMetric: unreported_classes {unknown} are not classes of the '
                             f'dataset ({classes}); fix the evaluator config.')
        return [c for c, name in enumerate(classes) if name not in self.unreported_classes]

    def process(self, data_batch: object, data_samples: Sequence[Mapping]) -> None:
        """Count one batch of predictions (SegDataSample dicts or objects)."""
        num_classes = self._get_num_classes()
        preds, gts, keys = [], [], []
        for sample in data_samples:
            # collections.abc: isinstance with typing.Mapping is several times slower.
            if not isinstance(sample, MappingABC):
                sample = sample.to_dict()
            preds.append(_to_numpy_map(sample['pred_sem_seg']['data'], 'pred_sem_seg'))
            gts.append(_to_numpy_map(sample['gt_sem_seg']['data'], 'gt_sem_seg'))
            keys.append((str(_field(sample, 'clip_id')), int(_field(sample, 'frame_idx'))))
        # The batch counted at once; each frame keeps its own counts (ranks gather frames).
        conf, pred_void = batch_frame_counts(preds, gts, num_classes, self.ignore_index)
        stats = batch_vpq_stats_from_counts(conf, pred_void)
        self.results.extend((clip_id, frame_idx, conf[i], stats[i])
                            for i, (clip_id, frame_idx) in enumerate(keys))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """mIoU, aAcc, per-class IoU and VPQ^s (all in %) from gathered frames."""
        if not results:
            raise ValueError('ClipSegMetric received no frames; is the test dataset empty?')
        results = sorted(results, key=lambda r: (r[0], r[1]))
        keys = [(r[0], r[1]) for r in results]
        duplicates = sorted({a for a, b in zip(keys, keys[1:]) if a == b})
        if duplicates:
            raise ValueError(f'frames evaluated more than once: {duplicates[:5]}; the sampler '
                             'must visit each (clip_id, frame_idx) once.')
        num_classes = results[0][2].shape[0]
        classes = self._class_names(num_classes)

        conf = np.sum([r[2] for r in results], axis=0)
        iou = iou_from_confusion(conf)
        # Every frame's stats in one array, each clip a slice of it (already in (clip, frame)
        # order): one stack instead of one per clip.
        stats = np.stack([r[3] for r in results])
        clip_ids = [r[0] for r in results]
        bounds = [i for i in range(1, len(clip_ids)) if clip_ids[i] != clip_ids[i - 1]]
        clips: Dict[str, np.ndarray] = OrderedDict(
            (clip_ids[a], stats[a:b]) for a, b in zip([0] + bounds, bounds + [len(clip_ids)]))
        reported = self._reported_classes(classes)

        metrics: Dict[str, float] = OrderedDict()
        metrics['aAcc'] = 100 * accuracy_from_confusion(conf)
        metrics['mIoU'] = 100 * float(_nanmean(iou[reported]))
        for c in reported:
            metrics[f'IoU.{classes[c]}'] = 100 * float(iou[c])
        if self.window_sizes is None:
            print_log(f'ClipSegMetric on {len(results)} frames of {len(clips)} clips (VPQ^s not '
                      'computed: window_sizes=None)'
                      + (f'; {", ".join(self.unreported_classes)} left out of the report and '
                         'mIoU' if self.unreported_classes else '') + ':\n'
                      + metrics_to_tables(metrics, [classes[c] for c in reported]),
                      logger='current')
            return dict(metrics)
        with warnings.catch_warnings(record=True) as caught:  # into the run's log instead
            warnings.simplefilter('always')
            vpq = vpq_from_frame_stats(clips, self.window_sizes, self.frame_interval)
        for warning in caught:
            print_log(f'ClipSegMetric: {warning.message}', logger='current', level=logging.WARNING)
        metrics['VPQ'] = 100 * vpq['vpq']
        for k, res in vpq['per_window'].items():
            metrics[f'VPQ_k{k}'] = 100 * res['vpq']
        for name, value in zip(classes, vpq['pq_per_class']):
            metrics[f'VPQ.{name}'] = 100 * float(value)
        for k, res in vpq['per_window'].items():
            for name, value in zip(classes, res['pq']):
                metrics[f'VPQ_k{k}.{name}'] = 100 * float(value)

        print_log(f'ClipSegMetric on {len(results)} frames of {len(clips)} clips:\n'
                  + metrics_to_tables(metrics, classes), logger='current')
        return dict(metrics)
