"""Clip transforms of the Cityscapes-Seq benchmarks: a fixed margin crop (SYNTHIA-Seq's bottom 120
rows) and flow of any resolution and format, resized to the frames.

The flow format is chosen in ONE place, :func:`read_benchmark_flow`.
"""
import io
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from uda_toolbox.datasets.snippet_dataset import ORIGINAL_FLOW_SUFFIX
from uda_toolbox.datasets.transforms import check_same_size
from uda_toolbox.registry import TRANSFORMS
from uda_toolbox.utils.errors import DataCorruptError, DataFormatError, DataNotFoundError
from uda_toolbox.utils.flow_io import read_flow
from uda_toolbox.utils.io import read_bytes

ORIGINAL_FLOW_SCALE = 10.0  # the originals store int16(flow_px * 10) (peers_davsn_tps.md 4.2)


# ----------------------------------------------------------------------------------------------
# THE ONE PLACE WHERE THE FLOW FILE FORMAT IS CHOSEN.
# The originals' files (``*_int16_x10.npy``: int16 (H, W, 2) holding trunc(pixels x 10), the flow
# from t to t-1 on frame t's grid, i.e. the toolbox's convention) are decoded here; every other file
# goes through uda_toolbox.utils.flow_io.read_flow. Once read_flow decodes the int16 format itself
# (issue 18), this function becomes ``return read_flow(path, backend_args=backend_args)``.
# ----------------------------------------------------------------------------------------------
def read_benchmark_flow(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read a flow file of either format as float32 (H, W, 2) (dx, dy) pixels."""
    if not str(path).endswith(ORIGINAL_FLOW_SUFFIX):
        return read_flow(path, backend_args=backend_args)
    data = read_bytes(str(path), 'flow', backend_args)
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as err:  # truncated or not a .npy file
        raise DataCorruptError(f'{path}: not a readable .npy flow file (corrupt or truncated); '
                               'fetch or compute it again.') from err
    if array.dtype != np.int16 or array.ndim != 3 or array.shape[2] != 2:
        raise DataFormatError(f'{path}: a *{ORIGINAL_FLOW_SUFFIX} flow of DA-VSN / TPS is int16 '
                              f'(H, W, 2), got dtype {array.dtype} and shape {array.shape}. Name '
                              'toolbox flow files *_bw.npy / *_fw.npy (flow_format=\'toolbox\').')
    return array.astype(np.float32) / ORIGINAL_FLOW_SCALE


def resize_flow(flow: np.ndarray, height: int, width: int) -> np.ndarray:
    """Flow (h, w, 2) resized bilinearly to (height, width, 2), dx scaled by width / w and dy by
    height / h (a displacement of d old pixels spans d * ratio new ones)."""
    h, w = flow.shape[:2]
    if (h, w) == (height, width):
        return flow.astype(np.float32, copy=False)
    scale = np.array([width / w, height / h], np.float32)
    return cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR) * scale


@TRANSFORMS.register_module()
class LoadResizedClipFlow(BaseTransform):
    """Read ``results['flow_paths']`` into ``results['flows']``, resized to the frames' current size.

    For flow files whose resolution is not the frames' (the originals' flows: Cityscapes-Seq
    512x1024, VIPER 576x1024, SYNTHIA-Seq 341x683; the toolbox's computed at a reduced size). Put
    it after the resize (and after :class:`ClipCropMargins`), before flips and random crops.
    ``flows[k]`` is the flow from frame k + 1 to frame k, as :class:`LoadClipFlow` gives it; with
    ``with_forward`` also ``flows_fw[k]`` from frame k to frame k + 1 (``flow_fw_paths``, VST's
    refinement of frame t - 1). Values are scaled per axis; DA-VSN / TPS scale both axes by the
    height ratio when they resize a flow to the logit grid, which the two-frame segmentor does
    (docs/data.md).
    """

    def __init__(self, with_forward: bool = False, backend_args: Optional[dict] = None) -> None:
        self.with_forward = with_forward
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        for done, fix in (('flip', 'ClipRandomFlip'), ('crop_bbox', 'ClipRandomCrop')):
            if results.get(done):
                raise ValueError(f'LoadResizedClipFlow: put it before {fix} in the pipeline; the '
                                 'frames are already transformed and the flow would not match.')
        height, width = results['imgs'][0].shape[:2]
        flows = []
        for k, path in enumerate(results['flow_paths']):
            if path is None:
                raise DataNotFoundError(
                    f'LoadResizedClipFlow: no flow from frame {results["img_paths"][k + 1]!r} to '
                    f'{results["img_paths"][k]!r}: set the dataset\'s flow_root (and flow_format) or '
                    'drop the flow loader from the pipeline.')
            flows.append(resize_flow(read_benchmark_flow(path, self.backend_args), height, width))
        results['flows'] = flows
        if self.with_forward:
            forward = results.get('flow_fw_paths') or []
            missing = [results['img_paths'][k] for k, path in enumerate(forward) if path is None]
            if len(forward) != len(flows) or missing:
                raise DataNotFoundError(
                    f'LoadResizedClipFlow(with_forward=True): no flow from frame(s) {missing} to the '
                    'next frame: compute both directions (tools/data/cityscapes_seq.py '
                    'compute_flow writes _fw files), or set with_forward=False and '
                    'model.negated_flow_fallback=True.')
            results['flows_fw'] = [resize_flow(read_benchmark_flow(path, self.backend_args),
                                               height, width) for path in forward]
        return results


@TRANSFORMS.register_module()
class ClipCropMargins(BaseTransform):
    """Cut fixed margins off every frame, label map and flow of a clip.

    SYNTHIA-Seq: ``bottom=120`` (``davsn/dataset/SynthiaSeq.py`` cuts the bottom 120 rows of the
    1280x760 frames and labels, giving 1280x640). Put it after the loaders of frames and labels.

    Args:
        top, bottom, left, right: Rows / columns removed on each side.
    """

    def __init__(self, top: int = 0, bottom: int = 0, left: int = 0, right: int = 0) -> None:
        if min(top, bottom, left, right) < 0:
            raise ValueError(f'ClipCropMargins: margins must be >= 0, got top={top}, '
                             f'bottom={bottom}, left={left}, right={right}.')
        self.margins = (int(top), int(bottom), int(left), int(right))

    def transform(self, results: dict) -> dict:
        h, w = check_same_size(results, type(self).__name__)
        top, bottom, left, right = self.margins
        if top + bottom >= h or left + right >= w:
            raise DataFormatError(
                f'ClipCropMargins: margins (top={top}, bottom={bottom}, left={left}, right={right}) '
                f'leave nothing of the {h}x{w} frames of {results.get("img_paths", ["?"])[0]!r}; '
                'are these the full-size frames of the dataset?')
        for key in ('imgs', 'gt_seg_maps', 'flows'):
            if key in results:
                results[key] = [a[top:h - bottom, left:w - right].copy() for a in results[key]]
        results['img_shape'] = results['imgs'][0].shape[:2]
        return results

    def __repr__(self) -> str:
        top, bottom, left, right = self.margins
        return (f'{type(self).__name__}(top={top}, bottom={bottom}, left={left}, '
                f'right={right})')


__all__ = ['ClipCropMargins', 'LoadResizedClipFlow', 'read_benchmark_flow', 'resize_flow']
