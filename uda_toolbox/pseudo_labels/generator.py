"""Pseudo-label rounds: run a model over every target clip, threshold with a policy, write PNGs.

One *round* (docs/pseudo_labels.md) is::

    policy.start_round(r)
    [two-pass policies]  for every clip: predict -> policy.observe(instance) ; policy.finish_observation()
    for every clip: predict (or reuse pass 1) -> policy.label(instance) -> one PNG per frame
    write round_<r>.tmp/..., then rename it to round_<r>, then point CURRENT at it

Predictions of a clip are the model's softmax maps, optionally *aggregated over time* (VST,
seed Eq. 10: the predictions of frames i-1 and i+1 warped onto frame i with optical flow and
averaged where the warp is not occluded). An *instance* is the unit a policy thresholds at once:
a whole clip (VST's clip-adaptive labels, Eq. 11) or groups of ``n`` consecutive frames (IAST's
instance-adaptive labels; IAST's code uses a batch of 2 images). Class-balanced (CBST) labels
need statistics over the whole target set first, hence the two passes.

This module sits beside the models and flow packages and imports neither: the model and the
flow come in as callables (the ``PseudoLabelHook`` and tools build them).
"""
import json
import os
import os.path as osp
import shutil
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.utils import ProgressBar
from torch import Tensor

from uda_toolbox.pseudo_labels.temporal import aggregate_predictions
from uda_toolbox.utils.pseudo_label_files import (
    TMP_SUFFIX,
    label_relpath,
    publish_current,
    read_current,
    round_name,
)
from uda_toolbox.utils.warp import DEFAULT_CONSISTENCY_ALPHA, DEFAULT_CONSISTENCY_THRESHOLD

IGNORE_INDEX = 255

#: ``model_fn(frames)``: uint8 (K, 3, H, W) BGR frames -> float (K, C, H, W) class probabilities.
ModelFn = Callable[[Tensor], Tensor]
#: ``flow_fn(record_a, record_b, frame_a, frame_b)`` -> (H, W, 2) float flow from frame a to
#: frame b at the frames' (inference) size: pixel p of a is at p + flow(p) in b.
FlowFn = Callable[[dict, dict, np.ndarray, np.ndarray], np.ndarray]
#: ``load_gt(record)`` -> (H, W) train-id ground truth of a frame (original size), or None.
GtFn = Callable[[dict], Optional[np.ndarray]]
#: A clip: its id and its frame records in time order (``ClipDataset.clip_frames`` format:
#: ``frame_idx``, ``img_path``, ``flow_bw_path``, ``flow_fw_path`` ...).
Clip = Tuple[str, List[dict]]
Instance = Union[str, int]


# ----------------------------------------------------------------------------- frames
def read_frame(path: str) -> np.ndarray:
    """A frame as (H, W, 3) uint8 BGR; a missing or unreadable file raises an error naming it."""
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise OSError(f'pseudo-label round: cannot read frame {path!r} (missing or corrupt).')
    return img


def inference_size(height: int, width: int, scale: Optional[Sequence[int]],
                   keep_ratio: bool = True) -> Tuple[int, int]:
    """(H, W) at which the model sees a frame: ``scale`` = (w, h) as the dataset's ClipResize
    (with ``keep_ratio``: as large as possible with long edge <= max(scale), short edge
    <= min(scale)); None keeps the frame size."""
    if scale is None:
        return height, width
    if not keep_ratio:
        return int(scale[1]), int(scale[0])
    factor = min(max(scale) / max(height, width), min(scale) / min(height, width))
    return int(height * factor + 0.5), int(width * factor + 0.5)


def load_clip(records: Sequence[dict], scale: Optional[Sequence[int]] = None,
              keep_ratio: bool = True) -> Tuple[np.ndarray, Tuple[int, int]]:
    """Frames of a clip at inference size.

    Returns:
        (frames (K, h, w, 3) uint8 BGR, original (H, W)).
    """
    frames = [read_frame(r['img_path']) for r in records]
    sizes = {f.shape[:2] for f in frames}
    if len(sizes) > 1:
        raise ValueError(f'pseudo-label round: frames of one clip differ in size {sorted(sizes)} '
                         f'(first frame {records[0]["img_path"]!r}).')
    height, width = frames[0].shape[:2]
    size = inference_size(height, width, scale, keep_ratio)
    if size != (height, width):
        frames = [cv2.resize(f, (size[1], size[0]), interpolation=cv2.INTER_LINEAR) for f in frames]
    return np.stack(frames), (height, width)


@torch.no_grad()
def predict_frames(model_fn: ModelFn, frames: np.ndarray, batch_size: int = 8) -> Tensor:
    """Class probabilities of (K, H, W, 3) uint8 frames, in batches: float32 (K, C, H, W) on the
    device ``model_fn`` returns them on (so aggregation runs there too)."""
    out = []
    for start in range(0, len(frames), batch_size):
        chunk = torch.from_numpy(np.ascontiguousarray(frames[start:start + batch_size]))
        probs = model_fn(chunk.permute(0, 3, 1, 2).contiguous())
        if probs.shape[-2:] != chunk.shape[1:3]:
            raise ValueError(f'model_fn returned {tuple(probs.shape)} for frames of size '
                             f'{tuple(chunk.shape[1:3])}: it must return (K, C, H, W) at the '
                             'input size.')
        out.append(probs.float())
    return torch.cat(out)


# ----------------------------------------------------------------------------- aggregation
def clip_flows(records: Sequence[dict], frames: np.ndarray, flow_fn: FlowFn
               ) -> Tuple[Tensor, Tensor]:
    """Flows between neighbouring frames of a clip.

    Returns:
        (to_prev, to_next), each float (K-1, 2, H, W): ``to_prev[i - 1]`` is the flow from frame
        i to frame i - 1 (i >= 1), ``to_next[i]`` the flow from frame i to frame i + 1 (i < K-1).
    """
    def one(a: int, b: int) -> Tensor:
        flow = np.asarray(flow_fn(records[a], records[b], frames[a], frames[b]), np.float32)
        if flow.shape != frames.shape[1:3] + (2,):
            raise ValueError(f'flow from {records[a]["img_path"]!r} to {records[b]["img_path"]!r} '
                             f'is {flow.shape}, expected {frames.shape[1:3] + (2,)}.')
        return torch.from_numpy(flow).permute(2, 0, 1)

    k = len(records)
    to_prev = [one(i, i - 1) for i in range(1, k)]
    to_next = [one(i, i + 1) for i in range(k - 1)]
    empty = torch.zeros((0, 2) + frames.shape[1:3])
    return (torch.stack(to_prev) if to_prev else empty, torch.stack(to_next) if to_next else empty)


def aggregate_clip(probs: Tensor, frames: np.ndarray, to_prev: Tensor, to_next: Tensor,
                   alpha: float = DEFAULT_CONSISTENCY_ALPHA,
                   th: float = DEFAULT_CONSISTENCY_THRESHOLD, chunk: int = 16) -> Tensor:
    """Temporally aggregated predictions of every frame of a clip (seed Eq. 10).

    Frame i averages its own prediction with those of frames i - 1 and i + 1 warped onto it,
    each where its occlusion score exp(-alpha * ||x_i - W(x_j)||_2) > th (frames scaled to
    [0, 1]); the first and last frame have one neighbour.

    Args:
        probs: (K, C, H, W) probabilities of the clip's frames.
        frames: (K, H, W, 3) uint8 frames at the same size.
        to_prev, to_next: Flows from :func:`clip_flows`.
        alpha, th: Occlusion sharpness and threshold (Eq. 10; defaults of
            ``uda_toolbox.utils.warp``: 4.0 and the seed paper's 0.7).
        chunk: Frames per call, to bound memory on large frames.
    Returns:
        (K, C, H, W) aggregated probabilities.
    """
    k = probs.shape[0]
    if k < 2:
        return probs.clone()
    device = probs.device
    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device).permute(0, 3, 1, 2).float() / 255.0
    to_prev, to_next = to_prev.to(device), to_next.to(device)
    out = torch.empty_like(probs)
    for start in range(0, k, chunk):
        idx = torch.arange(start, min(start + chunk, k), device=device)
        # Frames with a previous neighbour, with a next one, with both: three groups of calls
        # so every call gets complete neighbour lists.
        has_prev, has_next = idx >= 1, idx <= k - 2
        for group in (has_prev & has_next, has_prev & ~has_next, ~has_prev & has_next):
            i = idx[group]
            if len(i) == 0:
                continue
            neighbours = []
            if bool(has_prev[group].all()):
                neighbours.append((probs[i - 1], to_prev[i - 1], x[i], x[i - 1]))
            if bool(has_next[group].all()):
                neighbours.append((probs[i + 1], to_next[i], x[i], x[i + 1]))
            out[i] = aggregate_predictions(probs[i], neighbours, alpha=alpha, th=th)
    return out


def clip_predictions(model_fn: ModelFn, records: Sequence[dict], *,
                     scale: Optional[Sequence[int]] = None, keep_ratio: bool = True,
                     batch_size: int = 8, aggregate: Optional[dict] = None,
                     flow_fn: Optional[FlowFn] = None,
                     timings: Optional[Dict[str, float]] = None) -> Tuple[Tensor, Tuple[int, int]]:
    """Probabilities of every frame of one clip, aggregated over time when ``aggregate`` is set.

    Args:
        model_fn: See :data:`ModelFn`.
        records: The clip's frame records in time order.
        scale, keep_ratio: Inference size (see :func:`inference_size`).
        batch_size: Frames per model call.
        aggregate: None, or a dict of :func:`aggregate_clip` options (``alpha``, ``th``,
            ``chunk``; ``dict()`` for the defaults) for Eq. 10 (needs ``flow_fn``).
        flow_fn: See :data:`FlowFn`.
        timings: Accumulates seconds under 'read', 'model', 'flow', 'aggregate'.
    Returns:
        (probs (K, C, h, w) float32 on CPU, original frame size (H, W)).
    """
    timings = {} if timings is None else timings
    tic = time.perf_counter()
    frames, original = load_clip(records, scale, keep_ratio)
    tic = _tick(timings, 'read', tic)
    probs = predict_frames(model_fn, frames, batch_size)
    tic = _tick(timings, 'model', tic)
    if aggregate is not None:
        if flow_fn is None:
            raise ValueError('aggregated predictions (Eq. 10) need optical flow: pass flow_fn')
        to_prev, to_next = clip_flows(records, frames, flow_fn)
        tic = _tick(timings, 'flow', tic)
        probs = aggregate_clip(probs, frames, to_prev, to_next, **aggregate)
        _tick(timings, 'aggregate', tic)
    return probs.cpu(), original


def _tick(timings: Dict[str, float], key: str, tic: float) -> float:
    now = time.perf_counter()
    timings[key] = timings.get(key, 0.0) + now - tic
    return now


# ----------------------------------------------------------------------------- labelling
def instance_slices(num_frames: int, instance: Instance) -> List[slice]:
    """Frame slices of a clip's instances: ``'clip'`` = one slice, ``n`` = n consecutive frames."""
    if instance == 'clip':
        return [slice(0, num_frames)]
    if isinstance(instance, bool) or not isinstance(instance, int) or instance < 1:
        raise ValueError(f"instance must be 'clip' or a number of frames >= 1, got {instance!r}")
    return [slice(s, min(s + instance, num_frames)) for s in range(0, num_frames, instance)]


def observe_clip(policy: Any, probs: Tensor, instance: Instance) -> None:
    """Pass 1 of a two-pass policy: let it see every instance of one clip."""
    for part in instance_slices(probs.shape[0], instance):
        policy.observe(probs[part])


def label_clip(policy: Any, probs: Tensor, instance: Instance) -> np.ndarray:
    """Pseudo labels of one clip, instance by instance: (K, h, w) uint8, 255 = ignored."""
    labels = [torch.as_tensor(policy.label(probs[part])) for part in instance_slices(
        probs.shape[0], instance)]
    return torch.cat(labels).cpu().numpy().astype(np.uint8)


def resize_label(label: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of an (h, w) label map to (H, W) (pixel centres aligned)."""
    if label.shape == tuple(size):
        return label
    return cv2.resize(label, (size[1], size[0]), interpolation=cv2.INTER_NEAREST_EXACT)


class RoundStats:
    """Labelled proportion and, where ground truth exists, P-mIoU of pseudo labels (seed Table 7).

    P-mIoU is the mIoU of the pseudo labels against the ground truth over the pixels that are
    labelled in both (ignored pseudo-label pixels are not errors: the proportion reports them);
    classes absent from both are left out of the mean. It is an analysis figure only: nothing
    in training reads the target ground truth.
    """

    def __init__(self, num_classes: int, ignore_index: int = IGNORE_INDEX):
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.pixels = 0
        self.labelled = 0
        self.frames = 0
        self.class_pixels = np.zeros(num_classes, np.int64)
        self.gt_frames = 0
        self.gt_pixels = 0  # valid ground-truth pixels of the annotated frames
        self.gt_labelled = 0  # ... of which the pseudo label is not ignored
        self.confusion = np.zeros((num_classes, num_classes), np.int64)  # rows: gt, cols: pseudo

    def add(self, label: np.ndarray, gt: Optional[np.ndarray] = None) -> None:
        """Count one frame's pseudo label (H, W) and, if given, compare it with its ground truth."""
        valid = label != self.ignore_index
        self.frames += 1
        self.pixels += label.size
        self.labelled += int(valid.sum())
        self.class_pixels += np.bincount(label[valid].ravel(), minlength=self.num_classes)[
            :self.num_classes]
        if gt is None:
            return
        if gt.shape != label.shape:
            raise ValueError(f'ground truth {gt.shape} and pseudo label {label.shape} differ in size')
        gt_valid = (gt != self.ignore_index) & (gt < self.num_classes)
        both = gt_valid & valid
        self.gt_frames += 1
        self.gt_pixels += int(gt_valid.sum())
        self.gt_labelled += int(both.sum())
        pairs = gt[both].astype(np.int64) * self.num_classes + label[both].astype(np.int64)
        self.confusion += np.bincount(pairs, minlength=self.num_classes ** 2).reshape(
            self.num_classes, self.num_classes)

    def summary(self) -> Dict[str, Any]:
        """Plain-JSON figures: ``proportion`` (labelled pixels / pixels), ``class_proportion``,
        and with ground truth ``p_miou``, ``p_iou`` (per class, None where undefined),
        ``p_acc`` (pixel accuracy) and ``gt_proportion`` (proportion on annotated frames), in %
        for the IoU and accuracy figures."""
        out: Dict[str, Any] = dict(
            frames=self.frames, pixels=self.pixels, labelled_pixels=self.labelled,
            proportion=self.labelled / max(self.pixels, 1),
            class_proportion=(self.class_pixels / max(self.labelled, 1)).round(6).tolist(),
            gt_frames=self.gt_frames)
        if self.gt_frames:
            tp = np.diag(self.confusion).astype(np.float64)
            union = self.confusion.sum(0) + self.confusion.sum(1) - tp
            with np.errstate(invalid='ignore', divide='ignore'):
                iou = tp / union
            defined = union > 0
            out.update(
                p_miou=float(np.nanmean(iou[defined]) * 100) if defined.any() else None,
                p_iou=[float(v * 100) if d else None for v, d in zip(iou, defined)],
                p_acc=float(tp.sum() / max(self.confusion.sum(), 1) * 100),
                gt_proportion=self.gt_labelled / max(self.gt_pixels, 1))
        return out


# ----------------------------------------------------------------------------- a round
def generate_round(model_fn: ModelFn, clips: Sequence[Clip], policy: Any, out_dir: str,
                   round_idx: int, *, instance: Instance = 'clip',
                   aggregate: Optional[dict] = None, flow_fn: Optional[FlowFn] = None,
                   scale: Optional[Sequence[int]] = None, keep_ratio: bool = True,
                   batch_size: int = 8, num_classes: Optional[int] = None,
                   load_gt: Optional[GtFn] = None, cache_limit_mb: float = 1024.0,
                   progress: bool = True, publish: bool = True) -> Dict[str, Any]:
    """Write the pseudo labels of round ``round_idx`` for every frame of ``clips``.

    Files go to ``<out_dir>/round_<r>.tmp/<clip>/<frame stem>.png`` (8-bit, original frame
    size, 255 = ignored) with a ``stats.json``; the directory is renamed to ``round_<r>`` when
    complete and ``<out_dir>/CURRENT`` is then replaced atomically (``publish``). A crash leaves
    at most a ``.tmp`` directory, which nothing reads and the next attempt removes.

    Two-pass policies (``policy.two_pass``) observe every instance first; the predictions of
    pass 1 are kept in memory as float16 while they fit in ``cache_limit_mb``, the rest are
    recomputed in pass 2 (same model, same frames: the same values up to float16 rounding).

    Args:
        model_fn: See :data:`ModelFn` (the model in eval mode).
        clips: ``(clip_id, frame records)`` of the target set.
        policy: A pseudo-label policy (``uda_toolbox.pseudo_labels.policies``).
        out_dir: The pseudo-label directory.
        round_idx: Index of this round (the policy may grow its portion with it).
        instance: ``'clip'`` or a number of consecutive frames (see :func:`instance_slices`).
        aggregate: ``dict(alpha=..., th=...)`` for VST's aggregated predictions, or None.
        flow_fn: Optical flow between two frames (needed with ``aggregate``).
        scale, keep_ratio: Inference size; labels are resized (nearest) back to the frames'.
        batch_size: Frames per model call.
        num_classes: Classes for the statistics (default: the model's output channels).
        load_gt: Ground truth of a frame for P-mIoU (analysis only), or None.
        cache_limit_mb: Memory for pass-1 predictions of two-pass policies.
        progress: Show a progress bar per pass.
        publish: Write the round and point CURRENT at it; False writes nothing and only
            returns the statistics (pseudo-label analyses, Table 7).
    Returns:
        The round's statistics (:meth:`RoundStats.summary` plus ``round``, ``seconds`` and the
        time spent reading, in the model, on flow and aggregation, labelling and writing).
    """
    name = round_name(round_idx)
    final_dir = osp.join(out_dir, name)
    tmp_dir = final_dir + TMP_SUFFIX
    if publish:
        os.makedirs(out_dir, exist_ok=True)
        if osp.isdir(final_dir) and read_current(out_dir) == name:
            raise RuntimeError(f'{final_dir} is the CURRENT round being trained on; point CURRENT '
                               'elsewhere before regenerating it.')
        shutil.rmtree(tmp_dir, ignore_errors=True)  # left by a crash: never read, start over
        os.makedirs(tmp_dir)
    start = time.perf_counter()
    timings: Dict[str, float] = {}
    predict = dict(scale=scale, keep_ratio=keep_ratio, batch_size=batch_size,
                   aggregate=aggregate, flow_fn=flow_fn, timings=timings)
    policy.start_round(round_idx)

    cache: Dict[str, Tuple[Tensor, Tuple[int, int]]] = {}
    if getattr(policy, 'two_pass', False):
        budget = cache_limit_mb * 2 ** 20
        bar = _bar(len(clips), progress, f'pseudo labels round {round_idx}: statistics')
        for clip_id, records in clips:
            probs, original = clip_predictions(model_fn, records, **predict)
            tic = time.perf_counter()
            observe_clip(policy, probs, instance)
            _tick(timings, 'policy', tic)
            if budget >= probs.numel() * 2:
                cache[clip_id] = (probs.half(), original)
                budget -= probs.numel() * 2
            _update(bar)
        policy.finish_observation()
        _done(bar)

    stats = None
    bar = _bar(len(clips), progress, f'pseudo labels round {round_idx}: labels')
    for clip_id, records in clips:
        if clip_id in cache:
            probs, original = cache.pop(clip_id)
            probs = probs.float()
        else:
            probs, original = clip_predictions(model_fn, records, **predict)
        if stats is None:
            stats = RoundStats(num_classes or probs.shape[1])
        tic = time.perf_counter()
        labels = label_clip(policy, probs, instance)
        tic = _tick(timings, 'policy', tic)
        for record, label in zip(records, labels):
            label = resize_label(label, original)
            if publish:
                path = osp.join(tmp_dir, label_relpath(clip_id, record['img_path']))
                os.makedirs(osp.dirname(path), exist_ok=True)
                if not cv2.imwrite(path, label):
                    raise OSError(f'cannot write pseudo label {path!r}')
            stats.add(label, load_gt(record) if load_gt is not None else None)
        _tick(timings, 'write', tic)
        _update(bar)
    _done(bar)

    summary = dict(round=round_idx, name=name, **(stats or RoundStats(num_classes or 0)).summary())
    summary['seconds'] = time.perf_counter() - start
    summary['timings'] = {k: round(v, 4) for k, v in timings.items()}
    if publish:
        with open(osp.join(tmp_dir, 'stats.json'), 'w') as f:
            json.dump(summary, f, indent=1)
        if osp.isdir(final_dir):  # a complete round of an abandoned run, not CURRENT (checked above)
            shutil.rmtree(final_dir)
        os.rename(tmp_dir, final_dir)  # the round appears complete or not at all
        publish_current(out_dir, name)
    return summary


def _bar(total: int, enabled: bool, title: str) -> Optional[ProgressBar]:
    if not enabled or total == 0:
        return None
    sys.stdout.write(title + '\n')
    return ProgressBar(total)


def _update(bar: Optional[ProgressBar]) -> None:
    if bar is not None:
        bar.update()


def _done(bar: Optional[ProgressBar]) -> None:
    if bar is not None:
        sys.stdout.write('\n')
        sys.stdout.flush()
