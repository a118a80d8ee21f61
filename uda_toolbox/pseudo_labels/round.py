"""Pseudo-label rounds: run a model over every target clip, threshold with a policy, write PNGs.

One *round* (docs/pseudo_labels.md) is::

    policy.start_round(r)
    [two-pass policies]  for every clip: predict -> policy.observe(instance) ; policy.finish_observation()
    for every clip: predict (or reuse pass 1) -> policy.label(instance) -> one PNG per frame
    write round_<r>.tmp/..., then rename it to round_<r>, then point CURRENT at it

Predictions of a clip come from a :class:`~uda_toolbox.pseudo_labels.predict.ClipPredictor`
(optionally aggregated over time, Shin et al. (2021) Eq. 10). An *instance* is the unit a policy
thresholds at once: a whole clip (VST's clip-adaptive labels, Eq. 11) or groups of ``n``
consecutive frames (IAST's instance-adaptive labels; IAST's code uses a batch of 2 images).
Class-balanced (CBST) labels need statistics over the whole target set first, hence the two
passes. The round directory's life cycle (temporary directory, publish, CURRENT) is
``uda_toolbox.utils.rounds``; the figures are :class:`~uda_toolbox.pseudo_labels.stats.RoundStats`.
"""
import os
import os.path as osp
import sys
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from torch import Tensor

from uda_toolbox.pseudo_labels.predict import Clip, ClipPredictor, GtFn, tick
from uda_toolbox.pseudo_labels.sharding import (
    all_reduce_array,
    broadcast_object,
    dist_info,
    gather_objects,
    run_everywhere,
    shard_ranges,
)
from uda_toolbox.pseudo_labels.stats import RoundStats
from uda_toolbox.utils.io import resolve_inside, write_png
from uda_toolbox.utils.progress import Progress
from uda_toolbox.utils.rounds import (
    TMP_SUFFIX,
    label_relpath,
    prepare_round_dir,
    publish_round,
    round_label_files,
    round_name,
    soft_label_path,
)

Instance = Union[str, int]


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
    """Pseudo labels of one clip, instance by instance: (K, h, w) uint8, 255 = ignored; for a
    policy with ``soft_labels`` (K, h, w, 3) packed soft labels whose channel 0 is the hard
    label (``uda_toolbox.utils.soft_labels``)."""
    label = policy.label_soft if getattr(policy, 'soft_labels', False) else policy.label
    labels = [torch.as_tensor(label(probs[part])) for part in instance_slices(
        probs.shape[0], instance)]
    return torch.cat(labels).cpu().numpy().astype(np.uint8)


def resize_label(label: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of an (h, w) label map (or (h, w, 3) packed soft labels) to
    (H, W) (pixel centres aligned)."""
    if label.shape[:2] == tuple(size):
        return label
    return cv2.resize(label, (size[1], size[0]), interpolation=cv2.INTER_NEAREST_EXACT)


# ----------------------------------------------------------------------------- a round
def generate_round(predictor: ClipPredictor, clips: Sequence[Clip], policy: Any, round_idx: int,
                   *, out_dir: Optional[str] = None, instance: Instance = 'clip',
                   load_gt: Optional[GtFn] = None, num_classes: Optional[int] = None,
                   cache_limit_mb: float = 1024.0, progress: bool = True,
                   distributed: bool = False, background_writes: bool = True) -> Dict[str, Any]:
    """Pseudo labels of round ``round_idx`` for every frame of ``clips``.

    With ``out_dir``, files go to ``<out_dir>/round_<r>.tmp/<clip>/<frame stem>.png`` (8-bit,
    original frame size, 255 = ignored) with a ``stats.json``; the directory is renamed to
    ``round_<r>`` when complete and ``<out_dir>/CURRENT`` is then replaced atomically
    (``uda_toolbox.utils.rounds.publish_round``). A crash leaves at most a ``.tmp`` directory,
    which nothing reads and the next attempt removes. Without ``out_dir`` nothing is written and
    only the statistics are returned (pseudo-label analyses, Table 7).

    Two-pass policies (``policy.two_pass``) observe every instance first; pass 2 labels from the
    very predictions pass 1 observed (float32), kept in memory while they fit in
    ``cache_limit_mb`` and recomputed beyond (the same model on the same frames: the same values),
    so thresholds and labels come from the same numbers.

    ``distributed``: every process of the default process group calls this with the same
    arguments, predicts a contiguous share of the clips (about equal frame counts) and writes
    its labels; the statistics that decide thresholds are combined exactly (two-pass policies:
    ``finish_observation(all_reduce)``; sequential ones, IAST's EMA: ``advance`` in the
    single-process order, one process after the other), so the label files are byte for byte
    those of one process, given deterministic inference. Rank 0 publishes the round once every
    file exists, and every process returns after it is published. ``out_dir`` must be on a
    filesystem every process sees. docs/pseudo_labels.md, "Sharded rounds".

    Args:
        predictor: Probabilities of a clip's frames (the model in eval mode, inference size,
            Eq. 10 aggregation); labels are resized (nearest) back to the frames' size.
        clips: ``(clip_id, frame records)`` of the target set.
        policy: A pseudo-label policy (``uda_toolbox.pseudo_labels.policies``).
        round_idx: Index of this round (the policy may grow its portion with it).
        out_dir: The pseudo-label directory; None writes nothing.
        instance: ``'clip'`` or a number of consecutive frames (see :func:`instance_slices`).
        load_gt: Ground truth of a frame for P-mIoU (analysis only), or None.
        num_classes: Classes for the statistics (default: the model's output channels).
        cache_limit_mb: Memory (per process) for predictions kept between passes.
        progress: Show a progress bar per pass (rank 0's share when distributed).
        distributed: Shard the round over the processes (see above); a no-op in one process.
        background_writes: Encode and write the PNGs (and count the statistics) in a thread
            while the next clips are predicted: the same files, overlapped with inference where
            a core is free; False writes them in the calling thread.
    Returns:
        The round's statistics over every clip (:meth:`RoundStats.summary` plus ``round``,
        ``seconds`` and the time spent reading, in the model, on flow and aggregation,
        labelling and writing; distributed: each the slowest process's, and ``world_size``),
        in every process.
    """
    rank, world = dist_info() if distributed else (0, 1)
    name = round_name(round_idx)
    publish = out_dir is not None
    tmp_dir = osp.join(out_dir, name) + TMP_SUFFIX if publish else None
    if publish:
        run_everywhere(lambda: prepare_round_dir(out_dir, name) if rank == 0 else None,
                       f'preparing {tmp_dir}')
    start = time.perf_counter()
    timings: Dict[str, float] = {}

    def predict(records: Sequence[dict]) -> Tuple[Tensor, Tuple[int, int]]:
        return predictor(records, timings)

    first, last = shard_ranges([len(records) for _, records in clips], world)[rank]
    shard = _Shard(clips[first:last], instance,
                   sum(len(instance_slices(len(r), instance)) for _, r in clips[:first]))
    writer = _LabelWriter(tmp_dir, num_classes, load_gt, timings, background=background_writes)
    ctx = dict(policy=policy, shard=shard, predict=predict, writer=writer,
               budget=cache_limit_mb * 2 ** 20, progress=progress and rank == 0,
               round_idx=round_idx)
    policy.start_round(round_idx)
    try:
        if getattr(policy, 'two_pass', False):
            _two_pass_round(**ctx)
        elif getattr(policy, 'sequential', False) and world > 1:
            _sequential_sharded_round(rank=rank, world=world, **ctx)
        else:
            run_everywhere(lambda: _label_shard(**ctx), f'pseudo-label round {round_idx}')
    finally:
        writer.close()

    stats = RoundStats.combine(gather_objects(writer.stats), num_classes or 0)
    summary = dict(round=round_idx, name=name, **stats.summary())
    summary['seconds'] = time.perf_counter() - start
    all_timings = gather_objects(timings)
    summary['timings'] = {k: round(max(t.get(k, 0.0) for t in all_timings), 4)
                          for k in sorted(set().union(*all_timings))}
    if world > 1:
        summary['world_size'] = world
    if publish:
        files = round_label_files(tmp_dir, clips, soft=getattr(policy, 'soft_labels', False))
        run_everywhere(lambda: publish_round(out_dir, name, files, summary) if rank == 0 else None,
                       f'publishing {osp.join(out_dir, name)}')
    return summary


class _Shard:
    """The clips one process labels, and the round-wide index of its first instance."""

    def __init__(self, clips: Sequence[Clip], instance: Instance, first_instance: int):
        self.clips = list(clips)
        self.instance = instance
        self.first_instance = first_instance


class _LabelWriter:
    """Writes a clip's labels at the frames' size and counts them in the round's statistics.

    With ``background``, one thread does it while the caller predicts the next clips (PNG
    encoding releases the GIL, so it runs beside the model where a core is free); the same
    files, written in the same order, land in the round's temporary directory, which is
    published only after :meth:`flush`. At most ``MAX_PENDING`` clips wait, and an error of the
    thread is raised by the next :meth:`write` or :meth:`flush` of the caller.
    """

    MAX_PENDING = 4

    def __init__(self, tmp_dir: Optional[str], num_classes: Optional[int],
                 load_gt: Optional[GtFn], timings: Dict[str, float], background: bool = True):
        self.tmp_dir = tmp_dir
        self.num_classes = num_classes
        self.load_gt = load_gt
        self.timings = timings
        self.stats: Optional[RoundStats] = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix='pseudo-label-writer') \
            if background else None
        self._pending: Deque[Future] = deque()

    def write(self, clip_id: str, records: Sequence[dict], labels: np.ndarray,
              original: Tuple[int, int], num_classes: int) -> None:
        if self.stats is None:
            self.stats = RoundStats(self.num_classes or num_classes)
        if self._pool is None:
            self._write(clip_id, records, labels, original)
            return
        while self._pending and (self._pending[0].done() or len(self._pending) >= self.MAX_PENDING):
            self._pending.popleft().result()  # re-raises the thread's error here
        self._pending.append(self._pool.submit(self._write, clip_id, records, labels, original))

    def flush(self) -> None:
        """Wait until every label is written (raising the first error)."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Stop the thread; labels not yet written are dropped (the round failed)."""
        if self._pool is not None:
            for future in self._pending:
                future.cancel()
            self._pool.shutdown(wait=True)
            self._pending.clear()

    def _write(self, clip_id: str, records: Sequence[dict], labels: np.ndarray,
               original: Tuple[int, int]) -> None:
        tic = time.perf_counter()
        for record, label in zip(records, labels):
            label = resize_label(label, original)  # (H, W) or packed soft labels (H, W, 3)
            hard = label[..., 0] if label.ndim == 3 else label
            if self.tmp_dir is not None:
                # a clip id from an index file must not write outside pseudo_label_dir
                path = resolve_inside(self.tmp_dir, label_relpath(clip_id, record['img_path']),
                                      f'pseudo label of clip {clip_id!r}')
                os.makedirs(osp.dirname(path), exist_ok=True)
                written = [(path, np.ascontiguousarray(hard))]
                if label.ndim == 3:
                    written.append((soft_label_path(path), label))
                for file, image in written:
                    # not cv2.imwrite: it reports success on a full disk and leaves a broken file
                    write_png(file, image)
            self.stats.add(hard, self.load_gt(record) if self.load_gt is not None else None)
        tick(self.timings, 'write', tic)


def _label_shard(policy: Any, shard: _Shard, predict: Callable, writer: _LabelWriter,
                 progress: bool, round_idx: int, probs_of: Optional[Callable] = None,
                 **_) -> None:
    """Predict (or take ``probs_of(i, records)``) and label every clip of the shard in order."""
    bar = _bar(len(shard.clips), progress, f'pseudo labels round {round_idx}: labels')
    for i, (clip_id, records) in enumerate(shard.clips):
        probs, original = probs_of(i, records) if probs_of is not None else predict(records)
        tic = time.perf_counter()
        labels = label_clip(policy, probs, shard.instance)
        tick(writer.timings, 'policy', tic)
        writer.write(clip_id, records, labels, original, probs.shape[1])
        _update(bar)
    writer.flush()
    _done(bar)


def _two_pass_round(policy: Any, shard: _Shard, predict: Callable, writer: _LabelWriter,
                    budget: float, progress: bool, round_idx: int, **_) -> None:
    """Observe every instance of the shard, combine the statistics of every process, label.

    Pass 2 labels from the float32 predictions pass 1 observed (kept, or recomputed by the same
    model on the same frames), so the thresholds k_c and the labels come from the same numbers.
    Rounding them (float16 spaces 4.9e-4 apart near 1) would let every confidence >= 0.99976
    pass any k_c above it, issue 16, and undo the class balance of the most confident classes.
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
            tick(writer.timings, 'policy', tic)
            size = probs.numel() * probs.element_size()
            if budget >= size:
                cache[i] = (probs, original)
                budget -= size
            _update(bar)
        _done(bar)

    def probs_of(i: int, records: Sequence[dict]) -> Tuple[Tensor, Tuple[int, int]]:
        return cache.pop(i) if i in cache else predict(records)

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
        writer.flush()

    def label_shard() -> None:
        for i, (clip_id, records) in enumerate(shard.clips):
            if i in thresholds:
                clip_summaries, original = summaries[i]
                _write_summaries(policy, writer, clip_id, records, clip_summaries, original,
                                 thresholds.pop(i))
        writer.flush()

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
    tick(writer.timings, 'policy', tic)
    writer.write(clip_id, records, labels, original, clip_summaries[0]['num_classes'])


def _bar(total: int, enabled: bool, title: str) -> Optional[Progress]:
    """Progress over the clips of a pass: a bar on a terminal, lines with the ETA in a log."""
    if not enabled or total == 0:
        return None
    sys.stdout.write(title + '\n')
    return Progress(total, title, unit='clips')


def _update(bar: Optional[Progress]) -> None:
    if bar is not None:
        bar.update()


def _done(bar: Optional[Progress]) -> None:
    if bar is not None:
        bar.close()

