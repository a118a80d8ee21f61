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

from uda_toolbox.pseudo_labels.sharding import (
    all_reduce_array,
    broadcast_object,
    dist_info,
    gather_objects,
    run_everywhere,
    shard_ranges,
)
from uda_toolbox.utils.pseudo_label_files import (
    TMP_SUFFIX,
    label_relpath,
    publish_current,
    read_current,
    round_name,
)
from uda_toolbox.utils.warp import (
    DEFAULT_CONSISTENCY_ALPHA,
    DEFAULT_CONSISTENCY_THRESHOLD,
    photometric_consistency,
    sample,
    sampling_grid,
)

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
    total = probs.clone()
    count = torch.ones_like(probs[:, :1])
    # All previous neighbours first, then all next ones: each frame's sum is P_i + prev + next,
    # the order of aggregate_predictions (tests/pseudo_labels/test_aggregate_equivalence.py).
    # Slices instead of gathered frame groups, and one sampling grid for both warps.
    for offset, flows in ((1, to_prev.to(device)), (0, to_next.to(device))):
        for start in range(0, k - 1, chunk):
            stop = min(start + chunk, k - 1)
            dst, src = slice(start + offset, stop + offset), slice(start + 1 - offset, stop + 1 - offset)
            grid, in_bounds = sampling_grid(flows[start:stop])
            warped = sample(probs[src], grid)
            visible = ((photometric_consistency(x[dst], sample(x[src], grid), alpha) > th)
                       & in_bounds).to(probs.dtype)
            total[dst] += visible * warped
            count[dst] += visible
    return total / count


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


def observe_clip(policy: Any, probs: Tensor, instance: Instance,
                 first_index: Optional[int] = None) -> int:
    """Pass 1 of a two-pass policy: let it see every instance of one clip.

    Args:
        first_index: Position of the clip's first instance in the round's order (None: after
            the last observed); see ``BasePolicy.observe``.
    Returns:
        The number of instances observed.
    """
    parts = instance_slices(probs.shape[0], instance)
    for k, part in enumerate(parts):
        policy.observe(probs[part], index=None if first_index is None else first_index + k)
    return len(parts)


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


    @classmethod
    def combine(cls, parts: Sequence[Optional['RoundStats']], num_classes: int = 0) -> 'RoundStats':
        """The statistics of several shards of a round (None: a shard without frames)."""
        parts = [p for p in parts if p is not None]
        out = cls(parts[0].num_classes if parts else num_classes,
                  parts[0].ignore_index if parts else IGNORE_INDEX)
        for part in parts:
            for key in ('pixels', 'labelled', 'frames', 'gt_frames', 'gt_pixels', 'gt_labelled'):
                setattr(out, key, getattr(out, key) + getattr(part, key))
            out.class_pixels += part.class_pixels
            out.confusion += part.confusion
        return out


# ----------------------------------------------------------------------------- a round
def generate_round(model_fn: ModelFn, clips: Sequence[Clip], policy: Any, out_dir: str,
                   round_idx: int, *, instance: Instance = 'clip',
                   aggregate: Optional[dict] = None, flow_fn: Optional[FlowFn] = None,
                   scale: Optional[Sequence[int]] = None, keep_ratio: bool = True,
                   batch_size: int = 8, num_classes: Optional[int] = None,
                   load_gt: Optional[GtFn] = None, cache_limit_mb: float = 1024.0,
                   progress: bool = True, publish: bool = True,
                   distributed: bool = False) -> Dict[str, Any]:
    """Write the pseudo labels of round ``round_idx`` for every frame of ``clips``.

    Files go to ``<out_dir>/round_<r>.tmp/<clip>/<frame stem>.png`` (8-bit, original frame
    size, 255 = ignored) with a ``stats.json``; the directory is renamed to ``round_<r>`` when
    complete and ``<out_dir>/CURRENT`` is then replaced atomically (``publish``). A crash leaves
    at most a ``.tmp`` directory, which nothing reads and the next attempt removes.

    Two-pass policies (``policy.two_pass``) observe every instance first; pass 2 labels from the
    float16-rounded predictions, kept in memory while they fit in ``cache_limit_mb`` and
    recomputed beyond (the same model on the same frames: the same values).

    ``distributed``: every process of the default process group calls this with the same
    arguments, predicts a contiguous share of the clips (about equal frame counts) and writes
    its labels; the statistics that decide thresholds are combined exactly (two-pass policies:
    ``finish_observation(all_reduce)``; sequential ones, IAST's EMA: ``advance`` in the
    single-process order, one process after the other), so the label files are byte for byte
    those of one process, given deterministic inference. Rank 0 publishes the round once every
    file exists, and every process returns after it is published. ``pseudo_label_dir`` must be
    on a filesystem every process sees. docs/pseudo_labels.md, "Sharded rounds".

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
        cache_limit_mb: Memory (per process) for predictions kept between passes.
        progress: Show a progress bar per pass (rank 0's share when distributed).
        publish: Write the round and point CURRENT at it; False writes nothing and only
            returns the statistics (pseudo-label analyses, Table 7).
        distributed: Shard the round over the processes (see above); a no-op in one process.
    Returns:
        The round's statistics over every clip (:meth:`RoundStats.summary` plus ``round``,
        ``seconds`` and the time spent reading, in the model, on flow and aggregation,
        labelling and writing; distributed: each the slowest process's, and ``world_size``),
        in every process.
    """
    rank, world = dist_info() if distributed else (0, 1)
    name = round_name(round_idx)
    final_dir = osp.join(out_dir, name)
    tmp_dir = final_dir + TMP_SUFFIX
    if publish:
        run_everywhere(lambda: _prepare_round_dir(out_dir, name) if rank == 0 else None,
                       f'preparing {tmp_dir}')
    start = time.perf_counter()
    timings: Dict[str, float] = {}

    def predict(records: Sequence[dict]) -> Tuple[Tensor, Tuple[int, int]]:
        return clip_predictions(model_fn, records, scale=scale, keep_ratio=keep_ratio,
                                batch_size=batch_size, aggregate=aggregate, flow_fn=flow_fn,
                                timings=timings)

    first, last = shard_ranges([len(records) for _, records in clips], world)[rank]
    shard = _Shard(clips[first:last], instance,
                   sum(len(instance_slices(len(r), instance)) for _, r in clips[:first]))
    writer = _LabelWriter(tmp_dir if publish else None, num_classes, load_gt, timings)
    ctx = dict(policy=policy, shard=shard, predict=predict, writer=writer,
               budget=cache_limit_mb * 2 ** 20, progress=progress and rank == 0,
               round_idx=round_idx)
    policy.start_round(round_idx)
    if getattr(policy, 'two_pass', False):
        _two_pass_round(**ctx)
    elif getattr(policy, 'sequential', False) and world > 1:
        _sequential_sharded_round(rank=rank, world=world, **ctx)
    else:
        run_everywhere(lambda: _label_shard(**ctx), f'pseudo-label round {round_idx}')

    stats = RoundStats.combine(gather_objects(writer.stats), num_classes or 0)
    summary = dict(round=round_idx, name=name, **stats.summary())
    summary['seconds'] = time.perf_counter() - start
    all_timings = gather_objects(timings)
    summary['timings'] = {k: round(max(t.get(k, 0.0) for t in all_timings), 4)
                          for k in sorted(set().union(*all_timings))}
    if world > 1:
        summary['world_size'] = world
    if publish:
        files = [osp.join(tmp_dir, label_relpath(clip_id, r['img_path']))
                 for clip_id, records in clips for r in records]
        run_everywhere(lambda: _publish_round(out_dir, name, files, summary) if rank == 0 else None,
                       f'publishing {final_dir}')
    return summary


def _prepare_round_dir(out_dir: str, name: str) -> None:
    final_dir = osp.join(out_dir, name)
    tmp_dir = final_dir + TMP_SUFFIX
    os.makedirs(out_dir, exist_ok=True)
    if osp.isdir(final_dir) and read_current(out_dir) == name:
        raise RuntimeError(f'{final_dir} is the CURRENT round being trained on; point CURRENT '
                           'elsewhere before regenerating it.')
    shutil.rmtree(tmp_dir, ignore_errors=True)  # left by a crash: never read, start over
    os.makedirs(tmp_dir)


def _publish_round(out_dir: str, name: str, files: Sequence[str], summary: Dict[str, Any]) -> None:
    """Rename the complete ``.tmp`` directory to the round and point CURRENT at it."""
    final_dir = osp.join(out_dir, name)
    tmp_dir = final_dir + TMP_SUFFIX
    missing = [f for f in files if not osp.isfile(f)]
    if missing:
        raise RuntimeError(f'pseudo-label round {name}: {len(missing)} label files are missing '
                           f'(first: {missing[0]!r}). In a distributed run, pseudo_label_dir must '
                           'be on a filesystem that every process (every node) sees.')
    with open(osp.join(tmp_dir, 'stats.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    if osp.isdir(final_dir):  # a complete round of an abandoned run, not CURRENT (checked before)
        shutil.rmtree(final_dir)
    os.rename(tmp_dir, final_dir)  # the round appears complete or not at all
    publish_current(out_dir, name)


class _Shard:
    """The clips one process labels, and the round-wide index of its first instance."""

    def __init__(self, clips: Sequence[Clip], instance: Instance, first_instance: int):
        self.clips = list(clips)
        self.instance = instance
        self.first_instance = first_instance


class _LabelWriter:
    """Writes a clip's labels at the frames' size and counts them in the round's statistics."""

    def __init__(self, tmp_dir: Optional[str], num_classes: Optional[int],
                 load_gt: Optional[GtFn], timings: Dict[str, float]):
        self.tmp_dir = tmp_dir
        self.num_classes = num_classes
        self.load_gt = load_gt
        self.timings = timings
        self.stats: Optional[RoundStats] = None

    def write(self, clip_id: str, records: Sequence[dict], labels: np.ndarray,
              original: Tuple[int, int], num_classes: int) -> None:
        if self.stats is None:
            self.stats = RoundStats(self.num_classes or num_classes)
        tic = time.perf_counter()
        for record, label in zip(records, labels):
            label = resize_label(label, original)
            if self.tmp_dir is not None:
                path = osp.join(self.tmp_dir, label_relpath(clip_id, record['img_path']))
                os.makedirs(osp.dirname(path), exist_ok=True)
                if not cv2.imwrite(path, label):
                    raise OSError(f'cannot write pseudo label {path!r}')
            self.stats.add(label, self.load_gt(record) if self.load_gt is not None else None)
        _tick(self.timings, 'write', tic)


def _label_shard(policy: Any, shard: _Shard, predict: Callable, writer: _LabelWriter,
                 progress: bool, round_idx: int, probs_of: Optional[Callable] = None,
                 **_) -> None:
    """Predict (or take ``probs_of(i, records)``) and label every clip of the shard in order."""
    bar = _bar(len(shard.clips), progress, f'pseudo labels round {round_idx}: labels')
    for i, (clip_id, records) in enumerate(shard.clips):
        probs, original = probs_of(i, records) if probs_of is not None else predict(records)
        tic = time.perf_counter()
        labels = label_clip(policy, probs, shard.instance)
        _tick(writer.timings, 'policy', tic)
        writer.write(clip_id, records, labels, original, probs.shape[1])
        _update(bar)
    _done(bar)


def _two_pass_round(policy: Any, shard: _Shard, predict: Callable, writer: _LabelWriter,
                    budget: float, progress: bool, round_idx: int, **_) -> None:
    """Observe every instance of the shard, combine the statistics of every process, label.

    Pass 2 labels from float16-rounded predictions whether they were kept or are recomputed, so
    a clip's labels do not depend on which process held it or on the memory budget.
    """
    cache: Dict[int, Tuple[Tensor, Tuple[int, int]]] = {}

    def observe() -> None:
        nonlocal budget
        bar = _bar(len(shard.clips), progress, f'pseudo labels round {round_idx}: statistics')
        index = shard.first_instance
        for i, (_, records) in enumerate(shard.clips):
            probs, original = predict(records)
            tic = time.perf_counter()
            index += observe_clip(policy, probs, shard.instance, first_index=index)
            _tick(writer.timings, 'policy', tic)
            if budget >= probs.numel() * 2:
                cache[i] = (probs.half(), original)
                budget -= probs.numel() * 2
            _update(bar)
        _done(bar)

    def probs_of(i: int, records: Sequence[dict]) -> Tuple[Tensor, Tuple[int, int]]:
        probs, original = cache.pop(i) if i in cache else predict(records)
        return probs.half().float(), original

    run_everywhere(observe, f'pseudo-label round {round_idx} (statistics)')
    policy.finish_observation(all_reduce=all_reduce_array)
    run_everywhere(lambda: _label_shard(policy, shard, predict, writer, progress, round_idx,
                                        probs_of=probs_of),
                   f'pseudo-label round {round_idx} (labels)')


def _sequential_sharded_round(policy: Any, shard: _Shard, predict: Callable, writer: _LabelWriter,
                              budget: float, progress: bool, round_idx: int, rank: int,
                              world: int, **_) -> None:
    """A sequential policy (IAST / clip-adaptive EMA) over sharded clips, in the single-process
    order: every process summarises its clips in parallel; then, rank by rank, each advances the
    policy over its instances from the state the previous rank handed on; then every process
    labels its instances with the thresholds it recorded."""
    summaries: Dict[int, Optional[Tuple[list, Tuple[int, int]]]] = {}
    thresholds: Dict[int, list] = {}

    def summarize(probs: Tensor) -> list:
        return [policy.summarize(probs[part])
                for part in instance_slices(probs.shape[0], shard.instance)]

    def summarize_shard() -> None:
        nonlocal budget
        bar = _bar(len(shard.clips), progress, f'pseudo labels round {round_idx}: predictions')
        for i, (_, records) in enumerate(shard.clips):
            probs, original = predict(records)
            clip_summaries = summarize(probs)
            size = sum(s['conf'].nbytes + s['pred'].nbytes for s in clip_summaries)
            summaries[i] = (clip_summaries, original) if budget >= size else None
            budget -= size if budget >= size else 0
            _update(bar)
        _done(bar)

    def advance_shard() -> None:
        for i, (clip_id, records) in enumerate(shard.clips):
            kept = summaries[i]
            if kept is None:  # beyond the memory budget: predict again, label right away
                probs, original = predict(records)
                clip_summaries = summarize(probs)
                _write_summaries(policy, writer, clip_id, records, clip_summaries, original,
                                 [policy.advance(s) for s in clip_summaries])
            else:
                thresholds[i] = [policy.advance(s) for s in kept[0]]

    def label_shard() -> None:
        for i, (clip_id, records) in enumerate(shard.clips):
            if i in thresholds:
                clip_summaries, original = summaries[i]
                _write_summaries(policy, writer, clip_id, records, clip_summaries, original,
                                 thresholds.pop(i))

    run_everywhere(summarize_shard, f'pseudo-label round {round_idx} (predictions)')
    for turn in range(world):
        state, error = None, None
        if rank == turn:
            try:
                advance_shard()
                state = policy.state_dict()
            except Exception as exc:  # the others wait for this turn's state: tell them
                error = exc
        state, failed = broadcast_object((state, error is not None), src=turn)
        if error is not None:
            raise error
        if failed:
            raise RuntimeError(f'pseudo-label round {round_idx} failed on rank {turn}; see the '
                               'log of that process for the error.')
        policy.load_state_dict(state)
    run_everywhere(label_shard, f'pseudo-label round {round_idx} (labels)')


def _write_summaries(policy: Any, writer: _LabelWriter, clip_id: str, records: Sequence[dict],
                     clip_summaries: list, original: Tuple[int, int], thresholds: list) -> None:
    tic = time.perf_counter()
    labels = torch.cat([torch.as_tensor(policy.label_with(s, t))
                        for s, t in zip(clip_summaries, thresholds)]).cpu().numpy().astype(np.uint8)
    _tick(writer.timings, 'policy', tic)
    writer.write(clip_id, records, labels, original, clip_summaries[0]['num_classes'])


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
