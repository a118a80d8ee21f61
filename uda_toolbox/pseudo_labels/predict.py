"""Predictions of a pseudo-label round: frames of a clip -> class probabilities.

A :class:`ClipPredictor` reads a clip's frames at inference size, runs the model over them in
batches and, for VST, aggregates the predictions over time (Shin et al. (2021), Eq. 10, in
``temporal.py``) with optical flow from files or an estimator. The model and the flow come in as
callables (:data:`ModelFn`, :data:`FlowFn`), so this package imports neither the models nor the
flow estimators; :func:`model_prob_fn`, :func:`file_flow_fn` and :func:`estimator_flow_fn` build
them. :func:`dataset_clips` and :func:`ground_truth_fn` read what a round needs from a clip dataset.
"""
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.model import is_model_wrapper
from mmseg.models.utils import resize
from torch import Tensor

from uda_toolbox.pseudo_labels.temporal import aggregate_clip, clip_flows
from uda_toolbox.utils.classes import apply_label_map
from uda_toolbox.utils.errors import DataFormatError
from uda_toolbox.utils.flow_io import read_flow
from uda_toolbox.utils.io import load_frame, load_label
from uda_toolbox.utils.normalize import normalize, preprocessor_stats

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


# ----------------------------------------------------------------------------- frames
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
    frames = [load_frame(r['img_path']) for r in records]
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


# ----------------------------------------------------------------------------- a clip
class ClipPredictor:
    """Probabilities of every frame of a clip, aggregated over time when ``aggregate`` is set.

    Args:
        model_fn: See :data:`ModelFn` (the model in eval mode).
        scale, keep_ratio: Inference size (see :func:`inference_size`).
        batch_size: Frames per model call.
        aggregate: None, or a dict of :func:`~uda_toolbox.pseudo_labels.temporal.aggregate_clip`
            options (``alpha``, ``th``, ``chunk``; ``dict()`` for the defaults) for Eq. 10
            (needs ``flow_fn``).
        flow_fn: See :data:`FlowFn`.
    """

    def __init__(self, model_fn: ModelFn, scale: Optional[Sequence[int]] = None,
                 keep_ratio: bool = True, batch_size: int = 8, aggregate: Optional[dict] = None,
                 flow_fn: Optional[FlowFn] = None) -> None:
        if aggregate is not None and flow_fn is None:
            raise ValueError('aggregated predictions (Eq. 10) need optical flow: pass flow_fn')
        self.model_fn = model_fn
        self.scale = scale
        self.keep_ratio = keep_ratio
        self.batch_size = batch_size
        self.aggregate = aggregate
        self.flow_fn = flow_fn

    def __call__(self, records: Sequence[dict], timings: Optional[Dict[str, float]] = None
                 ) -> Tuple[Tensor, Tuple[int, int]]:
        """(probs (K, C, h, w) float32 on CPU, original frame size (H, W)) of one clip.

        ``timings`` accumulates seconds under 'read', 'model', 'flow', 'aggregate'.
        """
        timings = {} if timings is None else timings
        tic = time.perf_counter()
        frames, original = load_clip(records, self.scale, self.keep_ratio)
        tic = tick(timings, 'read', tic)
        probs = predict_frames(self.model_fn, frames, self.batch_size)
        tic = tick(timings, 'model', tic)
        if self.aggregate is not None:
            to_prev, to_next = clip_flows(records, frames, self.flow_fn)
            tic = tick(timings, 'flow', tic)
            probs = aggregate_clip(probs, frames, to_prev, to_next, **self.aggregate)
            tick(timings, 'aggregate', tic)
        return probs.cpu(), original


def tick(timings: Dict[str, float], key: str, tic: float) -> float:
    """Add the seconds since ``tic`` to ``timings[key]``; return now."""
    now = time.perf_counter()
    timings[key] = timings.get(key, 0.0) + now - tic
    return now


# ----------------------------------------------------------------------------- callables
def model_prob_fn(model: torch.nn.Module, flip: bool = False) -> Callable[[Tensor], Tensor]:
    """``frames -> probabilities`` of an adaptor (or an mmseg segmentor) for the generator.

    Frames (K, 3, H, W) uint8 BGR are normalised as the model's data preprocessor does in
    training (channel order, mean, std), then ``model.segment`` (adaptors) or the segmentor's
    decode head upsampled bilinearly gives logits at input size; the result is their softmax.
    With ``flip`` it is the mean of the softmax of the frames and of their horizontal flip
    (flipped back), as URMA's label generation (``generate_pseudo_labels.py``).
    The caller puts the model in eval mode.
    """
    model = model.module if is_model_wrapper(model) else model
    pre = getattr(model, 'data_preprocessor', None)
    device = next(model.parameters()).device

    def probs_of(x: Tensor) -> Tensor:
        if hasattr(model, 'segment'):
            logits = model.segment(x[:, None])[:, 0]
        else:
            segmentor = getattr(model, 'segmentor', model)
            logits = resize(segmentor._forward(x), size=x.shape[-2:], mode='bilinear',
                            align_corners=segmentor.align_corners)
        return logits.softmax(dim=1)

    def fn(frames: Tensor) -> Tensor:
        x = normalize(frames.to(device).float(), **preprocessor_stats(pre))
        if not flip:
            return probs_of(x)
        return 0.5 * (probs_of(x) + probs_of(x.flip(-1)).flip(-1))

    return fn


def file_flow_fn(record_a: dict, record_b: dict, frame_a: np.ndarray,
                 frame_b: np.ndarray) -> np.ndarray:
    """Flow from frame a to its neighbour b read from the dataset's flow files
    (``flow_fw_path`` / ``flow_bw_path`` of a), resized to the frames' size with its values
    scaled accordingly."""
    step = record_b['frame_idx'] - record_a['frame_idx']
    if abs(step) != 1:
        raise ValueError(f'flow files link consecutive frames; {record_a["img_path"]!r} and '
                         f'{record_b["img_path"]!r} are {step} frames apart (a gap in the clip)')
    key = 'flow_fw_path' if step == 1 else 'flow_bw_path'
    path = record_a.get(key)
    if path is None:
        raise FileNotFoundError(
            f'no {key[5:7]} flow file for frame {record_a["img_path"]!r}: set data_prefix.flow_path '
            'of the target dataset (precompute flow with tools/data/compute_flow.py) or estimate '
            "flow on the fly with PseudoLabelHook(flow=dict(type='OpenCVDISFlow')).")
    flow = read_flow(path)
    h, w = frame_a.shape[:2]
    fh, fw = flow.shape[:2]
    if abs(fh * w / fw - h) > 1:  # flow at another resolution is fine; another aspect is not
        raise DataFormatError(
            f'flow file {path!r} is {fh}x{fw} (H x W), but frame {record_a["img_path"]!r} has '
            f'another aspect ratio ({h}x{w} at inference size): it belongs to other frames. '
            'Recompute it (tools/data/compute_flow.py).')
    if flow.shape[:2] != (h, w):
        scale = np.array([w / flow.shape[1], h / flow.shape[0]], np.float32)
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) * scale
    return flow


def estimator_flow_fn(estimator: Callable[[np.ndarray, np.ndarray], np.ndarray]):
    """Adapt a flow estimator ``(frame_a, frame_b) -> flow a->b`` to the generator's FlowFn."""
    def fn(record_a: dict, record_b: dict, frame_a: np.ndarray, frame_b: np.ndarray) -> np.ndarray:
        return estimator(frame_a, frame_b)
    return fn


def dataset_clips(dataset: Any) -> List[Tuple[str, List[dict]]]:
    """``(clip_id, frame records)`` of a ClipDataset, each record also holding its ``clip_id``."""
    if not (hasattr(dataset, 'clip_ids') and hasattr(dataset, 'clip_frames')):
        raise TypeError(f'PseudoLabelHook needs a clip dataset (with clip_ids() and clip_frames()), '
                        f'got {type(dataset).__name__}')
    clips = []
    for clip_id in dataset.clip_ids():
        clips.append((clip_id, [dict(f, clip_id=clip_id) for f in dataset.clip_frames(clip_id)]))
    return clips


def ground_truth_fn(dataset: Any) -> Callable[[dict], Optional[np.ndarray]]:
    """``record -> ground truth`` (train ids) of the frames a labelled ClipDataset has, else None."""
    paths = {(clip_id, f['frame_idx']): f['seg_map_path']
             for clip_id, frames in dataset_clips(dataset) for f in frames
             if f.get('seg_map_path')}
    label_map = getattr(dataset, 'label_map', None)

    def fn(record: dict) -> Optional[np.ndarray]:
        path = paths.get((record['clip_id'], record['frame_idx']))
        if path is None:
            return None
        label = load_label(path)
        return apply_label_map(label, label_map, path) if label_map else label

    return fn
