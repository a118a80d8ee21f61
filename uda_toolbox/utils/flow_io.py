"""Optical-flow files: ``.npy`` (H, W, 2), Middlebury ``.flo`` and KITTI-style 16-bit PNG.

The toolbox's one flow reader (``mmcv.flowread`` also reads ``.flo``, and the values agree: a test
checks it; it is not used because it opens local files only (no mmengine file backends), turns a
truncated file into a reshape error instead of naming it, and knows neither Middlebury's unknown
marker nor ``.npy`` / KITTI PNG).

Every reader returns float32 (H, W, 2) flow (dx, dy) in pixels, in the toolbox's convention
(docs/data.md: flow at pixel p of frame i points to p + flow(p) in the other frame; a clip's
"backward" flow of frame t goes to frame t - 1). Errors name the file and say what is wrong with
it (``DataError`` subclasses). Writers are atomic (a reader never sees half a file).
"""
import io
import os
import os.path as osp
from pathlib import Path
from typing import Optional, Tuple, Union

import cv2
import numpy as np

from uda_toolbox.utils.errors import DataCorruptError, DataFormatError
from uda_toolbox.utils.io import atomic_write, check_not_truncated, read_bytes

PathLike = Union[str, os.PathLike]

FLO_MAGIC = 202021.25  # 'PIEH' read as a little-endian float32 (Middlebury .flo header)
# Middlebury marks unknown flow with components above 1e9.
FLO_UNKNOWN = 1e9
# KITTI 2015 devkit: u = (R - 2^15) / 64, v = (G - 2^15) / 64, B = 1 where the flow is valid.
KITTI_SCALE = 64.0
KITTI_OFFSET = 2 ** 15
FLOW_EXTENSIONS = ('.npy', '.flo', '.png')


def read_flow(path: PathLike, return_valid: bool = False, backend_args: Optional[dict] = None
              ) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
    """Read a flow file, dispatching on its extension (``.npy``, ``.flo``, ``.png``).

    The one flow reader of the toolbox: the clip pipeline (``LoadClipFlow``), the pseudo-label
    rounds and the tools all read flow through it.

    Args:
        path: The file (any mmengine file backend).
        return_valid: Also return where the flow is known.
        backend_args: mmengine file backend arguments.
    Returns:
        flow (H, W, 2) float32; with ``return_valid`` also valid (H, W) bool. Unknown pixels
        (KITTI's valid bit 0, Middlebury's > 1e9 marker, non-finite ``.npy`` values) hold 0.
    Raises:
        DataNotFoundError: the file does not exist (a ``FileNotFoundError``).
        DataFormatError: unknown extension or not an (H, W, 2) float flow (a ``ValueError``).
        DataCorruptError: an empty, truncated or undecodable file (the message names it).
    """
    path = str(path)
    suffix = osp.splitext(path)[1].lower()
    if suffix not in FLOW_EXTENSIONS:
        raise DataFormatError(f'{path}: unknown flow file extension {suffix!r}; '
                              f'expected one of {FLOW_EXTENSIONS}')
    data = read_bytes(path, 'flow', backend_args)
    if suffix == '.npy':
        flow = _parse_npy(data, path)
        valid = np.isfinite(flow).all(axis=-1)
    elif suffix == '.flo':
        flow = _parse_flo(data, path)
        valid = np.isfinite(flow).all(axis=-1) & (np.abs(flow) < FLO_UNKNOWN).all(axis=-1)
    else:
        flow, valid = _parse_kitti_png(data, path)
    if not valid.all():  # known flow is the usual case: skip a pass over the array
        flow = np.where(valid[..., None], flow, 0).astype(np.float32)
    return (flow, valid) if return_valid else flow


def write_flow(path: PathLike, flow: np.ndarray, valid: Optional[np.ndarray] = None) -> None:
    """Write flow (H, W, 2) atomically in the format of ``path``'s extension.

    ``.npy`` keeps the array's dtype (the clip layout stores float16); ``.flo`` writes float32;
    ``.png`` writes KITTI 16-bit (``valid`` (H, W) bool, default all True; values are rounded
    to 1/64 px and must lie within +-512 px).
    """
    path = Path(path)
    flow = _check_flow_array(flow, path)
    suffix = path.suffix.lower()
    if suffix == '.npy':
        with atomic_write(path) as tmp, open(tmp, 'wb') as f:
            np.save(f, flow)
    elif suffix == '.flo':
        write_flo(path, flow)
    elif suffix == '.png':
        _write_kitti_png(path, flow, valid)
    else:
        raise ValueError(f'{path}: unknown flow file extension {suffix!r}; '
                         f'expected one of {FLOW_EXTENSIONS}')


def write_flo(path: PathLike, flow: np.ndarray) -> None:
    """Write a Middlebury ``.flo`` file: magic, int32 width, int32 height, float32 (H, W, 2)."""
    path = Path(path)
    flow = _check_flow_array(flow, path)
    h, w = flow.shape[:2]
    with atomic_write(path) as tmp, open(tmp, 'wb') as f:
        np.array([FLO_MAGIC], dtype='<f4').tofile(f)
        np.array([w, h], dtype='<i4').tofile(f)
        flow.astype('<f4').tofile(f)


# ----------------------------------------------------------------- readers
def _parse_npy(data: bytes, path: str) -> np.ndarray:
    try:
        flow = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as err:  # truncated .npy -> ValueError/EOFError
        # (numpy's own message may suggest allow_pickle: never for a flow file)
        raise DataCorruptError(f'{path}: not a readable .npy flow file (corrupt or truncated); '
                               'regenerate it (tools/data/compute_flow.py)') from err
    return _check_flow_array(flow, path).astype(np.float32)


def _parse_flo(data: bytes, path: str) -> np.ndarray:
    if len(data) < 12:
        raise DataCorruptError(f'{path}: truncated .flo file ({len(data)} bytes, the header alone '
                               'is 12); regenerate it')
    magic = np.frombuffer(data, dtype='<f4', count=1)[0]
    if magic != np.float32(FLO_MAGIC):
        raise DataCorruptError(f'{path}: not a Middlebury .flo file (magic {magic!r}, '
                               f'expected {FLO_MAGIC}); regenerate it')
    w, h = (int(v) for v in np.frombuffer(data, dtype='<i4', count=2, offset=4))
    if w <= 0 or h <= 0:
        raise DataCorruptError(f'{path}: corrupt .flo header (width {w}, height {h}); '
                               'regenerate it')
    expected = 12 + 4 * 2 * w * h
    if len(data) != expected:
        raise DataCorruptError(f'{path}: .flo file of {w}x{h} should have {expected} bytes, '
                               f'has {len(data)} (truncated or corrupt); regenerate it')
    return np.frombuffer(data, dtype='<f4', offset=12).reshape(h, w, 2).astype(np.float32)


def _parse_kitti_png(data: bytes, path: str) -> Tuple[np.ndarray, np.ndarray]:
    check_not_truncated(data, path, 'flow')
    raw = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise DataCorruptError(f'{path}: not a readable PNG (corrupt or truncated)')
    if raw.dtype != np.uint16 or raw.ndim != 3 or raw.shape[2] != 3:
        raise DataFormatError(f'{path}: a KITTI flow PNG is 16-bit with 3 channels, got dtype '
                              f'{raw.dtype} and shape {raw.shape}')
    # cv2 loads BGR: channel 2 is u (R), 1 is v (G), 0 the valid bit (B).
    flow = (raw[:, :, [2, 1]].astype(np.float32) - KITTI_OFFSET) / KITTI_SCALE
    return flow, raw[:, :, 0] > 0


# ----------------------------------------------------------------- writers, checks
def _write_kitti_png(path: Path, flow: np.ndarray, valid: Optional[np.ndarray]) -> None:
    if valid is None:
        valid = np.ones(flow.shape[:2], dtype=bool)
    if valid.shape != flow.shape[:2]:
        raise ValueError(f'{path}: valid {valid.shape} must match the flow {flow.shape[:2]}')
    encoded = np.round(flow.astype(np.float64) * KITTI_SCALE + KITTI_OFFSET)
    if ((encoded < 0) | (encoded > 65535)).any():
        raise ValueError(f'{path}: flow beyond +-{KITTI_OFFSET / KITTI_SCALE:.0f} px cannot be '
                         'stored in a KITTI 16-bit PNG; use .npy or .flo')
    raw = np.stack([valid.astype(np.float64), encoded[..., 1], encoded[..., 0]], axis=-1)
    with atomic_write(path) as tmp:
        if not cv2.imwrite(str(tmp), raw.astype(np.uint16)):
            raise OSError(f'cv2.imwrite could not write {path}')


def _check_flow_array(flow: np.ndarray, path: PathLike) -> np.ndarray:
    flow = np.asarray(flow)
    if flow.ndim != 3 or flow.shape[2] != 2 or not np.issubdtype(flow.dtype, np.floating):
        raise DataFormatError(f'{path}: flow must be a floating (H, W, 2) array of (dx, dy), got '
                              f'dtype {flow.dtype} and shape {flow.shape}; recompute it '
                              '(tools/data/compute_flow.py)')
    return flow
