"""Clip transforms: every frame, label map and flow of a sample gets the SAME parameters.

The ``results`` dict of a clip holds lists (one entry per frame, time order):

* ``imgs``: list of (H, W, 3) uint8 BGR frames,
* ``gt_seg_maps``: list of (H, W) uint8 train-id maps (255 = ignore),
* ``flows``: list of (H, W, 2) float32 (dx, dy); ``flows[k]`` is the flow from
  frame k + 1 to frame k, i.e. pixel p of frame k + 1 shows the scene point at
  p + flows[k](p) in frame k.
* ``flows_fw`` (only with ``LoadClipFlow(with_forward=True)``): the other direction,
  ``flows_fw[k]`` from frame k to frame k + 1 on frame k's grid;
* ``gt_soft_maps`` (only with ``LoadClipSoftLabels``): list of (H, W, 3) uint8 packed soft
  pseudo labels (``uda_toolbox.utils.soft_labels``), transformed as the label maps.

Geometric transforms therefore also act on the flow *values*: a resize scales
dx and dy by the x and y factors, a horizontal flip negates dx, a crop leaves
them unchanged (flow is translation invariant). Random draws use numpy's
global RNG, like mmcv's transforms, so mmengine's seeding reproduces them.

Why not mmcv's ``TransformBroadcaster(share_random_params=True)`` around mmseg's transforms: it
shares only the draws of methods marked ``@cache_randomness``, and it applies the wrapped
transform to each entry as to an image and its label. mmseg's ``PhotoMetricDistortion`` draws
inside ``brightness()``/``contrast()``/... without that mark, so each frame of a clip would get
other colours (the temporal losses would compare unlike frames); mmseg's ``RandomFlip`` and
``Resize`` do not know flow, so a flipped flow would keep the sign of dx and a resized one its
old pixel lengths. The clip transforms here draw once per clip and update flow values.
"""
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement, PixelData
from mmseg.structures import SegDataSample
from PIL import Image

from uda_toolbox.registry import TRANSFORMS
from uda_toolbox.utils.classes import (
    IGNORE_INDEX,
    VIDEO_UDA_CLASSES,
    apply_label_map,
    check_label_values,
)
from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError
from uda_toolbox.utils.flow_io import read_flow
from uda_toolbox.utils.io import check_not_truncated, load_frame, load_label, read_bytes
from uda_toolbox.utils.warp import FLOW_SCALINGS, resize_flow

# ----------------------------------------------------------------------------- helpers

#: The flow lists of a clip (see the module doc); geometric transforms treat them alike.
FLOW_KEYS = ('flows', 'flows_fw')
#: The label-like maps of a clip: resized with nearest neighbours, never blended.
LABEL_KEYS = ('gt_seg_maps', 'gt_soft_maps')
#: Every per-frame map of a clip, in the order sizes are reported.
MAP_KEYS = ('imgs',) + LABEL_KEYS + FLOW_KEYS

def _hw(array: np.ndarray) -> Tuple[int, int]:
    return int(array.shape[0]), int(array.shape[1])


def check_same_size(results: dict, transform: str) -> Tuple[int, int]:
    """(H, W) shared by every frame, label map and flow; raise if they differ."""
    sizes = {}
    for key in MAP_KEYS:
        for k, array in enumerate(results.get(key, [])):
            sizes[f'{key}[{k}]'] = _hw(array)
    if not sizes:
        raise KeyError(f'{transform}: results has no imgs; put LoadClipFrames first.')
    if len(set(sizes.values())) > 1:
        raise ValueError(
            f'{transform}: frames, labels and flows must have one size, got {sizes}. '
            'Load annotations and flow before geometric transforms (test pipelines that keep '
            'labels at the original size load them after the last resize).')
    return next(iter(sizes.values()))


# Frame interpolations of ClipResize. 'pil_bicubic' is PIL's Image.resize(BICUBIC), which filters
# (antialiases) when shrinking: the resize of the DA-VSN / TPS loaders (ADVENT base_dataset.py).
FRAME_INTERPOLATIONS = ('bilinear', 'bicubic', 'area', 'pil_bicubic')
_CV2_INTERPOLATION = {'bilinear': cv2.INTER_LINEAR, 'bicubic': cv2.INTER_CUBIC,
                      'area': cv2.INTER_AREA}


def _resize_frame(img: np.ndarray, new_w: int, new_h: int, interpolation: str) -> np.ndarray:
    if interpolation == 'pil_bicubic':  # per channel, so BGR order does not matter
        return np.asarray(Image.fromarray(img).resize((new_w, new_h), Image.BICUBIC))
    return cv2.resize(img, (new_w, new_h), interpolation=_CV2_INTERPOLATION[interpolation])


def resize_clip(results: dict, new_wh: Tuple[int, int], interpolation: str = 'bilinear') -> None:
    """Resize all frames (``interpolation``), labels (nearest) and flows (bilinear, values scaled).

    Args:
        results: Clip results, modified in place.
        new_wh: Target (width, height).
        interpolation: Of the frames, one of ``FRAME_INTERPOLATIONS``.
    """
    h, w = check_same_size(results, 'ClipResize')
    new_w, new_h = int(new_wh[0]), int(new_wh[1])
    w_scale, h_scale = new_w / w, new_h / h
    results['imgs'] = [_resize_frame(img, new_w, new_h, interpolation) for img in results['imgs']]
    for key in LABEL_KEYS:
        if key in results:
            # NEAREST_EXACT samples at pixel centres like the bilinear frame resize, so labels
            # stay aligned with frames (plain INTER_NEAREST shifts by up to half a pixel).
            results[key] = [cv2.resize(seg, (new_w, new_h), interpolation=cv2.INTER_NEAREST_EXACT)
                            for seg in results[key]]
    # A displacement of dx pixels at the old size spans dx * w_scale new pixels.
    scale = np.array([w_scale, h_scale], np.float32)
    for key in FLOW_KEYS:
        if key in results:
            results[key] = [cv2.resize(flow, (new_w, new_h), interpolation=cv2.INTER_LINEAR) * scale
                            for flow in results[key]]
    results['img_shape'] = (new_h, new_w)
    old = results.get('scale_factor', (1.0, 1.0))
    results['scale_factor'] = (old[0] * w_scale, old[1] * h_scale)


def rescale_size(h: int, w: int, scale: Tuple[int, int], keep_ratio: bool) -> Tuple[int, int]:
    """Target (width, height) for ``scale`` = (w, h), as mmcv's Resize computes it.

    With ``keep_ratio`` the image is scaled by the largest factor that keeps its long
    edge <= max(scale) and its short edge <= min(scale).
    """
    if not keep_ratio:
        return int(scale[0]), int(scale[1])
    factor = min(max(scale) / max(h, w), min(scale) / min(h, w))
    return int(w * factor + 0.5), int(h * factor + 0.5)


def _pair(value: Union[int, Sequence[int]], name: str) -> Tuple[int, int]:
    if isinstance(value, int):
        return value, value
    if len(value) != 2:
        raise ValueError(f'{name} must be an int or a pair, got {value!r}.')
    return int(value[0]), int(value[1])


# ----------------------------------------------------------------------------- loading


@TRANSFORMS.register_module()
class LoadClipFrames(BaseTransform):
    """Read ``results['img_paths']`` into ``results['imgs']`` (list of (H, W, 3) uint8 BGR).

    Also sets ``img_shape`` and ``ori_shape`` (H, W). All frames must have one size.
    A missing, empty, corrupt or truncated file raises an error naming it.
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        paths = results['img_paths']
        imgs = [load_frame(p, self.backend_args) for p in paths]
        sizes = {p: _hw(img) for p, img in zip(paths, imgs)}
        if len(set(sizes.values())) > 1:
            raise DataFormatError(f'LoadClipFrames: frames of one sample differ in size: '
                                  f'{sizes}; every frame of a clip must have the same size. '
                                  'Regenerate or resize the odd frame.')
        results['imgs'] = imgs
        results['img_shape'] = _hw(imgs[0])
        results['ori_shape'] = _hw(imgs[0])
        return results


@TRANSFORMS.register_module()
class LoadClipAnnotations(BaseTransform):
    """Read ``results['seg_map_paths']`` into ``results['gt_seg_maps']`` ((H, W) uint8 each).

    A frame without label (path None) gets an all-255 map. ``results['label_map']``
    (raw id -> train id; unlisted ids -> 255) is applied when present. Values must
    be in [0, num_classes) or 255, and each map must have its frame's original size
    (``ori_shape``), so it may also run after a resize (test pipelines).

    Args:
        num_classes: Valid train ids are [0, num_classes). None: ``results['num_classes']``
            (set by ClipDataset) or the 15 classes of ``VIDEO_UDA_CLASSES``.
        backend_args: mmengine file backend arguments.
    """

    def __init__(self, num_classes: Optional[int] = None,
                 backend_args: Optional[dict] = None) -> None:
        self.num_classes = num_classes
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        num_classes = self.num_classes or results.get('num_classes') or len(VIDEO_UDA_CLASSES)
        ori_shape = tuple(results['ori_shape'])
        label_map = results.get('label_map')
        maps = []
        for k, path in enumerate(results['seg_map_paths']):
            if path is None:
                maps.append(np.full(ori_shape, IGNORE_INDEX, np.uint8))
                continue
            label = load_label(path, self.backend_args)
            if _hw(label) != ori_shape:
                raise DataFormatError(
                    f'label {path!r} is {_hw(label)} (H, W) but its frame '
                    f'{results["img_paths"][k]!r} is {ori_shape}; labels must have the size '
                    'of their frame. Regenerate or resize the label.')
            if label_map is not None:
                label = apply_label_map(label, label_map, path)
            check_label_values(label, num_classes, path, mapped=label_map is not None)
            maps.append(label.astype(np.uint8))
        results['gt_seg_maps'] = maps
        return results


@TRANSFORMS.register_module()
class LoadClipFlow(BaseTransform):
    """Read ``results['flow_paths']`` into ``results['flows']`` (T - 1 x (H, W, 2) float32).

    ``flows[k]`` is the flow from frame k + 1 to frame k (the ``_bw`` file of frame
    k + 1). With ``with_forward``, also ``results['flow_fw_paths']`` into
    ``results['flows_fw']``: ``flows_fw[k]`` from frame k to frame k + 1 (the ``_fw`` file
    of frame k), what VST needs to refine frame t - tau against frame t. ``.npy``
    (float16/32, or DA-VSN / TPS's int16 x 10 ``*_int16_x10.npy``) and Middlebury ``.flo`` are
    read. Each flow must have the original frame size, unless ``resize_to_frame`` says how to
    bring it to the frames' current size.

    Args:
        with_forward: Also load the flow from each frame to the next.
        resize_to_frame: None: a flow of another size than the original frame is an error.
            ``'height'``: resize it to the frames' current size (``img_shape``: place the
            transform after ``ClipResize`` to resize once) with bilinear, align_corners=True,
            and multiply both components by the height ratio, as DA-VSN / TPS treat their
            reduced-resolution files (e.g. 576x1024 for 1080x1920 VIPER frames);
            ``'per_axis'``: scale dx by the width ratio instead.
        backend_args: mmengine file backend arguments.
    """

    def __init__(self, with_forward: bool = False, resize_to_frame: Optional[str] = None,
                 backend_args: Optional[dict] = None) -> None:
        if resize_to_frame not in (None, *FLOW_SCALINGS):
            raise ValueError(f'LoadClipFlow: resize_to_frame must be None or one of {FLOW_SCALINGS}, '
                             f'got {resize_to_frame!r}.')
        self.with_forward = with_forward
        self.resize_to_frame = resize_to_frame
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        results['flows'] = self._read(results, 'flow_paths', 1, 'bw', 'backward')
        if self.with_forward:
            if 'flow_fw_paths' not in results:
                raise KeyError("LoadClipFlow(with_forward=True): results has no 'flow_fw_paths'; "
                               'the dataset must be a ClipDataset (or set the key).')
            results['flows_fw'] = self._read(results, 'flow_fw_paths', 0, 'fw', 'forward')
        return results

    def _read(self, results: dict, key: str, offset: int, suffix: str, name: str) -> list:
        """The flows of ``results[key]``; flow k belongs to frame k + ``offset``."""
        ori_shape = tuple(results['ori_shape'])
        size = ori_shape if self.resize_to_frame is None else tuple(results['img_shape'])
        flows = []
        for k, path in enumerate(results[key]):
            frame = results['img_paths'][k + offset]
            if path is None:
                raise DataNotFoundError(
                    f'LoadClipFlow: no {name} flow for frame {frame!r}. Flow is paired only '
                    f'for tau=1 and needs <flow_path>/<clip>/<frame stem>_{suffix}.npy (or .flo), '
                    "or the DA-VSN / TPS file of the dataset's flow_naming; compute the flow "
                    '(tools/data/compute_flow.py writes both directions, '
                    'tools/data/write_original_flow.py the originals\' files), or drop '
                    'LoadClipFlow from the pipeline.')
            flow = read_flow(path, backend_args=self.backend_args)
            if _hw(flow) != size and self.resize_to_frame is not None:
                grid = torch.from_numpy(np.ascontiguousarray(flow)).permute(2, 0, 1)[None]
                flow = resize_flow(grid, size, self.resize_to_frame)[0].permute(1, 2, 0).numpy()
            if _hw(flow) != size:
                raise DataFormatError(f'flow {path!r} is {_hw(flow)} (H, W) but its frame '
                                      f'{frame!r} is {ori_shape}; recompute the flow at the '
                                      'frame size (tools/data/compute_flow.py), or let '
                                      "LoadClipFlow(resize_to_frame='height') resize it.")
            flows.append(flow)
        return flows

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(with_forward={self.with_forward}, '
                f'resize_to_frame={self.resize_to_frame!r})')



@TRANSFORMS.register_module()
class LoadClipSoftLabels(BaseTransform):
    """Read ``results['soft_label_paths']`` into ``results['gt_soft_maps']`` ((H, W, 3) uint8).

    The soft pseudo labels of CRST's LR-ENT (``LabelEntropyPolicy``), written by the round
    beside each hard label (``<stem>_soft.png``, ``uda_toolbox.utils.soft_labels``); the
    self-training dataset sets the paths from its CURRENT round. Put it after
    ``LoadClipAnnotations``; each map must have its frame's original size.
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        ori_shape = tuple(results['ori_shape'])
        maps = []
        for k, path in enumerate(results.get('soft_label_paths') or [None] * len(results['imgs'])):
            if path is None:
                raise DataNotFoundError(
                    f'LoadClipSoftLabels: no soft pseudo label for frame '
                    f'{results["img_paths"][k]!r}. It needs a self-training dataset '
                    '(pseudo_label_dir) whose rounds are written by a soft-label policy '
                    "(pseudo_labels.policy.type='LabelEntropyPolicy', CRST's LR-ENT).")
            data = read_bytes(path, 'soft pseudo label', self.backend_args)
            check_not_truncated(data, path, 'soft pseudo label')
            soft = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
            if soft is None or soft.ndim != 3 or soft.shape[2] != 3:
                raise DataFormatError(
                    f'soft pseudo label {path!r} is not a 3-channel PNG (got '
                    f'{None if soft is None else soft.shape}); regenerate the round with '
                    'LabelEntropyPolicy.')
            if _hw(soft) != ori_shape:
                raise DataFormatError(f'soft pseudo label {path!r} is {_hw(soft)} (H, W) but its '
                                      f'frame is {ori_shape}; regenerate the round.')
            maps.append(soft)
        results['gt_soft_maps'] = maps
        return results


# ----------------------------------------------------------------------------- geometry


@TRANSFORMS.register_module()
class ClipResize(BaseTransform):
    """Resize every frame, label and flow of a clip to one size.

    Args:
        scale: Target (width, height), as mmcv's Resize. With ``keep_ratio`` the
            clip is scaled as large as possible with long edge <= max(scale) and
            short edge <= min(scale).
        keep_ratio: Keep the aspect ratio.
        interpolation: Of the frames: ``'bilinear'`` (OpenCV), ``'bicubic'``, ``'area'`` or
            ``'pil_bicubic'`` (PIL, as the DA-VSN / TPS loaders). Labels are always nearest.
    """

    def __init__(self, scale: Union[int, Sequence[int]], keep_ratio: bool = True,
                 interpolation: str = 'bilinear') -> None:
        if interpolation not in FRAME_INTERPOLATIONS:
            raise ValueError(f'ClipResize: interpolation must be one of {FRAME_INTERPOLATIONS}, '
                             f'got {interpolation!r}.')
        self.scale = _pair(scale, 'scale')
        self.keep_ratio = keep_ratio
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        h, w = check_same_size(results, type(self).__name__)
        resize_clip(results, rescale_size(h, w, self.scale, self.keep_ratio), self.interpolation)
        results['keep_ratio'] = self.keep_ratio
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, keep_ratio={self.keep_ratio}, '
                f'interpolation={self.interpolation!r})')


@TRANSFORMS.register_module()
class ClipRandomResize(BaseTransform):
    """Resize a clip to ``scale * ratio`` with one ratio ~ U(ratio_range) per clip.

    Args:
        scale: Base (width, height).
        ratio_range: (min, max) ratio.
        keep_ratio: Keep the aspect ratio (see :class:`ClipResize`).
    """

    def __init__(self, scale: Union[int, Sequence[int]],
                 ratio_range: Tuple[float, float] = (0.5, 2.0), keep_ratio: bool = True) -> None:
        self.scale = _pair(scale, 'scale')
        lo, hi = (float(r) for r in ratio_range)
        if not 0 < lo <= hi:
            raise ValueError(f'ratio_range must satisfy 0 < min <= max, got {ratio_range!r}.')
        self.ratio_range = (lo, hi)
        self.keep_ratio = keep_ratio

    def transform(self, results: dict) -> dict:
        lo, hi = self.ratio_range
        ratio = np.random.random_sample() * (hi - lo) + lo
        scale = (int(self.scale[0] * ratio), int(self.scale[1] * ratio))
        h, w = check_same_size(results, type(self).__name__)
        resize_clip(results, rescale_size(h, w, scale, self.keep_ratio))
        results['keep_ratio'] = self.keep_ratio
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, ratio_range={self.ratio_range}, '
                f'keep_ratio={self.keep_ratio})')


@TRANSFORMS.register_module()
class ClipRandomCrop(BaseTransform):
    """Crop the same random window from every frame, label and flow of a clip.

    Args:
        crop_size: (height, width), as mmseg's RandomCrop; a clip smaller than
            it keeps its size along that axis.
        cat_max_ratio: Retry (up to 10 times) while one class covers more than
            this fraction of the labelled pixels of the clip's crops.
        ignore_index: Label ignored by ``cat_max_ratio``.
    """

    def __init__(self, crop_size: Union[int, Sequence[int]], cat_max_ratio: float = 1.0,
                 ignore_index: int = IGNORE_INDEX) -> None:
        self.crop_size = _pair(crop_size, 'crop_size')
        if min(self.crop_size) <= 0:
            raise ValueError(f'crop_size must be positive, got {crop_size!r}.')
        self.cat_max_ratio = cat_max_ratio
        self.ignore_index = ignore_index

    def _random_box(self, h: int, w: int) -> Tuple[int, int, int, int]:
        """(y1, y2, x1, x2) of a random crop window."""
        top = np.random.randint(0, max(h - self.crop_size[0], 0) + 1)
        left = np.random.randint(0, max(w - self.crop_size[1], 0) + 1)
        return top, top + self.crop_size[0], left, left + self.crop_size[1]

    def _too_uniform(self, results: dict, box: Tuple[int, int, int, int]) -> bool:
        """Whether one class dominates the crop (mmseg's cat_max_ratio rule, over all frames)."""
        y1, y2, x1, x2 = box
        crops = [seg[y1:y2, x1:x2].ravel() for seg in results.get('gt_seg_maps', [])]
        if not crops:
            return False
        labels, counts = np.unique(np.concatenate(crops), return_counts=True)
        counts = counts[labels != self.ignore_index]
        return not (len(counts) > 1 and counts.max() / counts.sum() < self.cat_max_ratio)

    def transform(self, results: dict) -> dict:
        h, w = check_same_size(results, type(self).__name__)
        box = self._random_box(h, w)
        if self.cat_max_ratio < 1.0:
            for _ in range(10):
                if not self._too_uniform(results, box):
                    break
                box = self._random_box(h, w)
        y1, y2, x1, x2 = box
        for key in MAP_KEYS:
            if key in results:
                results[key] = [a[y1:y2, x1:x2].copy() for a in results[key]]
        results['img_shape'] = _hw(results['imgs'][0])
        results['crop_bbox'] = (y1, y2, x1, x2)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, '
                f'cat_max_ratio={self.cat_max_ratio})')


@TRANSFORMS.register_module()
class ClipRandomFlip(BaseTransform):
    """Flip a whole clip horizontally with probability ``prob``; flow dx is negated.

    A point at x moving by dx sits at W-1-x after the flip and moves by -dx.
    """

    def __init__(self, prob: float = 0.5, direction: str = 'horizontal') -> None:
        if direction != 'horizontal':
            raise ValueError(f"ClipRandomFlip supports direction='horizontal' only, got "
                             f'{direction!r}.')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob!r}.')
        self.prob = prob
        self.direction = direction

    def transform(self, results: dict) -> dict:
        check_same_size(results, type(self).__name__)
        flip = bool(np.random.rand() < self.prob)
        if flip:
            results['imgs'] = [np.ascontiguousarray(img[:, ::-1]) for img in results['imgs']]
            for key in LABEL_KEYS:
                if key in results:
                    results[key] = [np.ascontiguousarray(s[:, ::-1]) for s in results[key]]
            for key in FLOW_KEYS:
                if key in results:
                    flows = []
                    for flow in results[key]:
                        flow = np.ascontiguousarray(flow[:, ::-1])
                        flow[..., 0] *= -1
                        flows.append(flow)
                    results[key] = flows
        results['flip'] = flip
        results['flip_direction'] = self.direction if flip else None
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'


# ----------------------------------------------------------------------------- photometric


def _affine_u8(img: np.ndarray, alpha: float = 1.0, beta: float = 0.0) -> np.ndarray:
    """``clip(img * alpha + beta, 0, 255)`` as uint8."""
    return np.clip(img.astype(np.float32) * alpha + beta, 0, 255).astype(np.uint8)


@TRANSFORMS.register_module()
class ClipPhotoMetricDistortion(BaseTransform):
    """mmseg's PhotoMetricDistortion with ONE draw per clip, applied to every frame.

    Each step happens with probability 0.5: brightness shift, contrast scale (before
    or after the colour steps, drawn once), saturation scale, hue shift.
    Frames of a clip must look alike so the temporal consistency losses compare
    like with like.
    """

    def __init__(self, brightness_delta: int = 32,
                 contrast_range: Tuple[float, float] = (0.5, 1.5),
                 saturation_range: Tuple[float, float] = (0.5, 1.5),
                 hue_delta: int = 18) -> None:
        self.brightness_delta = brightness_delta
        self.contrast_lower, self.contrast_upper = contrast_range
        self.saturation_lower, self.saturation_upper = saturation_range
        self.hue_delta = hue_delta

    def draw(self) -> dict:
        """The random parameters of one clip (None = step skipped)."""
        rnd = np.random
        params = dict(brightness=None, contrast=None, saturation=None, hue=None)
        if rnd.randint(2):
            params['brightness'] = rnd.uniform(-self.brightness_delta, self.brightness_delta)
        params['contrast_first'] = bool(rnd.randint(2))
        if rnd.randint(2):
            params['contrast'] = rnd.uniform(self.contrast_lower, self.contrast_upper)
        if rnd.randint(2):
            params['saturation'] = rnd.uniform(self.saturation_lower, self.saturation_upper)
        if rnd.randint(2):
            params['hue'] = int(rnd.randint(-self.hue_delta, self.hue_delta))
        return params

    @staticmethod
    def apply(img: np.ndarray, params: dict) -> np.ndarray:
        """Distort one (H, W, 3) uint8 BGR frame with ``params`` from :meth:`draw`."""
        if params['brightness'] is not None:
            img = _affine_u8(img, beta=params['brightness'])
        if params['contrast_first'] and params['contrast'] is not None:
            img = _affine_u8(img, alpha=params['contrast'])
        if params['saturation'] is not None or params['hue'] is not None:
            hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
            if params['saturation'] is not None:
                hsv[..., 1] = _affine_u8(hsv[..., 1], alpha=params['saturation'])
            if params['hue'] is not None:
                # OpenCV's 8-bit hue lives in [0, 180).
                hsv[..., 0] = ((hsv[..., 0].astype(np.int32) + params['hue']) % 180)
            img = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
        if not params['contrast_first'] and params['contrast'] is not None:
            img = _affine_u8(img, alpha=params['contrast'])
        return img

    def transform(self, results: dict) -> dict:
        params = self.draw()
        results['imgs'] = [self.apply(img, params) for img in results['imgs']]
        return results


# ----------------------------------------------------------------------------- packing


@TRANSFORMS.register_module()
class PackClipInputs(BaseTransform):
    """Pack a training clip.

    Output: ``dict(inputs=uint8 (T, 3, H, W), gt_seg=uint8 (T, H, W),
    flows=float32 (T-1, 2, H, W) [only if loaded], flows_fw=float32 (T-1, 2, H, W) [only if
    loaded], gt_soft=uint8 (T, H, W, 3) [only if loaded], meta=BaseDataElement with metainfo
    clip_id, frame_ids, img_paths)``. Frames without labels (or no LoadClipAnnotations)
    give 255 maps. ``meta`` is a data element (not a dict) so that ``pseudo_collate``
    keeps one per sample instead of transposing its lists.

    Args:
        meta_keys: ``results`` keys copied into ``meta``.
    """

    def __init__(self, meta_keys: Sequence[str] = ('clip_id', 'frame_ids', 'img_paths')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        imgs = np.stack(results['imgs'])  # (T, H, W, 3)
        t, h, w = imgs.shape[:3]
        packed = dict(inputs=torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous())
        if 'gt_seg_maps' in results:
            segs = np.stack(results['gt_seg_maps'])
            if segs.shape != (t, h, w):
                raise ValueError(f'PackClipInputs: labels {segs.shape} do not match frames '
                                 f'{(t, h, w)}; load annotations before resizing in train '
                                 'pipelines.')
        else:
            segs = np.full((t, h, w), IGNORE_INDEX, np.uint8)
        packed['gt_seg'] = torch.from_numpy(segs.astype(np.uint8))
        if 'gt_soft_maps' in results:
            soft = np.stack(results['gt_soft_maps'])
            if soft.shape != (t, h, w, 3):
                raise ValueError(f'PackClipInputs: soft labels {soft.shape} do not match frames '
                                 f'{(t, h, w)}; load them before resizing.')
            packed['gt_soft'] = torch.from_numpy(soft.astype(np.uint8))
        for key in FLOW_KEYS:
            if key in results:
                flows = np.stack(results[key]) if results[key] else \
                    np.zeros((0, h, w, 2), np.float32)
                if flows.shape != (t - 1, h, w, 2):
                    raise ValueError(f'PackClipInputs: {key} {flows.shape} do not match frames '
                                     f'{(t, h, w)} (expected ({t - 1}, {h}, {w}, 2)).')
                packed[key] = torch.from_numpy(flows.astype(np.float32)).permute(0, 3, 1, 2) \
                    .contiguous()
        packed['meta'] = BaseDataElement(
            metainfo={key: results[key] for key in self.meta_keys if key in results})
        return packed

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'


@TRANSFORMS.register_module()
class PackFrameInputs(BaseTransform):
    """Pack a test sample as mmseg does: its last frame is the one predicted and evaluated.

    Output: ``dict(inputs=uint8 (3, H, W), data_samples=SegDataSample)`` with
    ``gt_sem_seg = PixelData(data=int64 (1, H_label, W_label))`` (labels may keep
    the original size while the frame is resized) and metainfo ``img_path``,
    ``seg_map_path``, ``ori_shape``, ``img_shape``, ``clip_id``, ``frame_idx``,
    ``flip``, ``flip_direction``. A sample of T > 1 frames (``ClipDataset(num_frames=2)`` in test
    mode, for two-frame models) also gives ``previous=uint8 (T-1, 3, H, W)``, its earlier frames,
    and, when loaded, ``flows=float32 (T-1, 2, H, W)`` (``flows[-1]``: from the predicted frame
    to the one before it); ``ClipSegDataPreProcessor`` normalises them like the frame.
    """

    def transform(self, results: dict) -> dict:
        imgs = results['imgs']
        img = np.ascontiguousarray(imgs[-1].transpose(2, 0, 1))
        sample = SegDataSample()
        if 'gt_seg_maps' in results:
            gt = results['gt_seg_maps'][-1][None].astype(np.int64)
            sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt))
        sample.set_metainfo(dict(
            img_path=results['img_paths'][-1],
            seg_map_path=results['seg_map_paths'][-1],
            ori_shape=tuple(results['ori_shape']),
            img_shape=tuple(results['img_shape']),
            clip_id=results['clip_id'],
            frame_idx=results['frame_ids'][-1],
            flip=results.get('flip', False),
            flip_direction=results.get('flip_direction', None)))
        packed = dict(inputs=torch.from_numpy(img), data_samples=sample)
        if len(imgs) > 1:
            packed['previous'] = torch.from_numpy(np.stack(imgs[:-1])).permute(0, 3, 1, 2).contiguous()
            if 'flows' in results:
                flows = np.stack(results['flows']).astype(np.float32)
                packed['flows'] = torch.from_numpy(flows).permute(0, 3, 1, 2).contiguous()
        return packed


__all__ = [
    'LoadClipFrames', 'LoadClipAnnotations', 'LoadClipFlow', 'LoadClipSoftLabels', 'ClipResize',
    'ClipRandomResize', 'ClipRandomCrop', 'ClipRandomFlip', 'ClipPhotoMetricDistortion', 'PackClipInputs',
    'PackFrameInputs',
]
