"""Optical-flow files: ``.npy`` (H, W, 2), Middlebury ``.flo`` and KITTI-style 16-bit PNG.

The toolbox's one flow reader (``mmcv.flowread`` also reads ``.flo``, and the values agree: a test
checks it; it is not used because it opens local files only (no mmengine file backends), turns a
truncated file into a reshape error instead of naming it, and knows neither Middlebury's unknown
marker nor ``.npy`` / KITTI PNG).

Every reader returns float32 (H, W, 2) flow (dx, dy) in pixels, in the toolbox's convention
(docs/data.md: flow at pixel p of frame i points to p + flow(p) in the other frame; a clip's
"backward" flow of frame t goes to frame t - 1). Errors name the file and say what is wrong with
it (``DataError`` subclasses). Writers are atomic (a reader never sees half a file).

The flow files of DA-VSN and TPS ("the originals' format") are read here too: ``.npy`` arrays of
int16 (H, W, 2) holding ``trunc(flow_px * 10)``, named ``*_int16_x10.npy``, flat in one directory
per split with three naming schemes (:func:`original_flow_name`). Their flow goes from frame t to
frame t-1 on the frame-t grid, which is the toolbox's backward flow, so reading them is a division
by 10 (no sign or axis change); they may be stored at a lower resolution than the frames
(``LoadClipFlow(resize_to_frame=...)`` resizes them). docs/data.md, "Flow in the originals' format".
"""
import io
import os
import os.path as osp
import re
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import cv2
import numpy as np

from uda_toolbox.utils.errors import DataCorruptError, DataFormatError
from uda_toolbox.utils.io import (
    atomic_write,
    check_not_truncated,
    encode_png,
    read_bytes,
    write_bytes_checked,
)

PathLike = Union[str, os.PathLike]

FLO_MAGIC = 202021.25  # 'PIEH' read as a little-endian float32 (Middlebury .flo header)
# Middlebury marks unknown flow with components above 1e9.
FLO_UNKNOWN = 1e9
# KITTI 2015 devkit: u = (R - 2^15) / 64, v = (G - 2^15) / 64, B = 1 where the flow is valid.
KITTI_SCALE = 64.0
KITTI_OFFSET = 2 ** 15
FLOW_EXTENSIONS = ('.npy', '.flo', '.png')
# DA-VSN / TPS flow files: np.save(np.int16(flow * 10)) named <...>_int16_x10.npy (their
# Estimated_optical_flow_* directories; research/peers_davsn_tps.md section 4.2).
ORIGINAL_FLOW_SUFFIX = '_int16_x10.npy'
ORIGINAL_FLOW_SCALE = 10.0
ORIGINAL_FLOW_NAMINGS = ('cityscapes', 'viper', 'synthia')
_INT16_MAX = 32767
# <city>_<seq:6>_<frame:6>_leftImg8bit.png (Cityscapes sequences), optionally behind the
# Cityscapes-VPS prefix VVVV_FFFF_ and with its newImg8bit ending.
_CITYSCAPES_NAME = re.compile(r'^(?:\d{4}_\d{4}_)?(?P<city>[A-Za-z]+(?:_[A-Za-z]+)*)_(?P<seq>\d{6})_'
                              r'(?P<frame>\d{6})_(?:left|new)Img8bit\.\w+$')
_VIPER_NAME = re.compile(r'^(?P<seq>\d{3})_(?P<frame>\d{5})\.\w+$')
_SYNTHIA_NAME = re.compile(r'^(?P<frame>\d{6})\.\w+$')


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
        (KITTI's valid bit 0, Middlebury's > 1e9 marker) hold 0.
    Raises:
        DataNotFoundError: the file does not exist (a ``FileNotFoundError``).
        DataFormatError: unknown extension or not an (H, W, 2) float flow (a ``ValueError``).
        DataCorruptError: an empty, truncated or undecodable file, or NaN / infinite values
            (a broken flow computation: read as "unknown" they would silently remove every
            pseudo label that needs flow); the message names the file.
    """
    path = str(path)
    suffix = osp.splitext(path)[1].lower()
    if suffix not in FLOW_EXTENSIONS:
        raise DataFormatError(f'{path}: unknown flow file extension {suffix!r}; '
                              f'expected one of {FLOW_EXTENSIONS}')
    data = read_bytes(path, 'flow', backend_args)
    valid: Optional[np.ndarray] = None
    if suffix == '.npy':
        flow = _parse_npy(data, path)
        _check_finite(flow, path)
        if return_valid:
            valid = np.ones(flow.shape[:2], dtype=bool)
    elif suffix == '.flo':
        flow = _parse_flo(data, path)
        _check_finite(flow, path)
        # Known flow everywhere is the usual case: one whole-array test decides it (the per-pixel
        # test reduces over an axis of length 2, several times slower; pseudo-label rounds read
        # two flow files per frame).
        known = np.abs(flow) < FLO_UNKNOWN
        if return_valid or not known.all():
            valid = known.all(axis=-1)
    else:
        flow, valid = _parse_kitti_png(data, path)
    if valid is not None and not valid.all():
        flow = np.where(valid[..., None], flow, 0).astype(np.float32)
    if not return_valid:
        return flow
    return flow, valid


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


def write_original_flow(path: PathLike, flow: np.ndarray) -> None:
    """Write flow atomically in DA-VSN / TPS's format: int16 (H, W, 2) of ``trunc(flow * 10)``.

    ``np.int16`` of their scripts truncates toward zero, so a stored value is up to 0.1 px closer
    to 0 than the flow; kept for files the originals' loaders read unchanged.

    Args:
        path: The file; its name must end with ``_int16_x10.npy`` (the suffix the loaders and
            :func:`read_flow` recognise).
        flow: (H, W, 2) float flow (dx, dy) in pixels, t -> t-1 on the frame-t grid; every value
            within +-3276.7 px.
    """
    path = Path(path)
    if not path.name.endswith(ORIGINAL_FLOW_SUFFIX):
        raise ValueError(f'{path}: a flow file in the originals\' format must be named '
                         f'*{ORIGINAL_FLOW_SUFFIX}')
    flow = _check_flow_array(flow, path)
    # In the flow's own precision, as their scripts multiply float32 network outputs.
    scaled = flow * np.asarray(ORIGINAL_FLOW_SCALE, flow.dtype)
    if not np.isfinite(scaled).all() or np.abs(scaled).max(initial=0) > _INT16_MAX:
        raise ValueError(f'{path}: flow beyond +-{_INT16_MAX / ORIGINAL_FLOW_SCALE} px (or not finite) '
                         'cannot be stored as int16 x 10; use write_flow with .npy')
    with atomic_write(path) as tmp, open(tmp, 'wb') as f:
        np.save(f, np.trunc(scaled).astype(np.int16))


def parse_original_frame_name(naming: str, path: PathLike) -> Optional[dict]:
    """Fields of a frame file name in one of DA-VSN / TPS's naming schemes, or None.

    ``'cityscapes'``: ``city``, ``seq``, ``frame`` of ``<city>_<seq>_<frame>_leftImg8bit.png`` (also
    Cityscapes-VPS's ``VVVV_FFFF_<city>_..._newImg8bit.png``); ``'viper'``: ``seq``, ``frame`` of
    ``SSS_FFFFF.<ext>``; ``'synthia'``: ``frame`` of ``NNNNNN.<ext>``. ``frame`` is an int.
    """
    if naming not in ORIGINAL_FLOW_NAMINGS:
        raise ValueError(f'original flow naming must be one of {ORIGINAL_FLOW_NAMINGS}, got {naming!r}')
    pattern = dict(cityscapes=_CITYSCAPES_NAME, viper=_VIPER_NAME, synthia=_SYNTHIA_NAME)[naming]
    match = pattern.match(osp.basename(str(path)))
    if match is None:
        return None
    fields = match.groupdict()
    fields['frame'] = int(fields['frame'])
    return fields


def original_flow_name(naming: str, frame_path: PathLike, previous_path: PathLike) -> str:
    """File name of the DA-VSN / TPS flow from frame ``frame_path`` to ``previous_path``.

    The three schemes of their loaders (research/peers_davsn_tps.md section 4.2), all in one flat
    directory per split:

    - ``'cityscapes'``: ``<city>_<seq>_<t:06d>_<t-1:06d>_int16_x10.npy`` from
      ``<city>_<seq>_<frame>_leftImg8bit.png`` (Cityscapes-VPS names ``VVVV_FFFF_<city>_...`` too);
    - ``'viper'``: ``<SSS>_<t:05d><t-1:05d>_int16_x10.npy`` (no separator) from ``SSS_FFFFF.jpg``;
    - ``'synthia'``: ``<t:06d>_int16_x10.npy`` from ``NNNNNN.png`` (the previous frame is not in
      the name: the originals always pair t with t-1).

    Args:
        naming: One of :data:`ORIGINAL_FLOW_NAMINGS`.
        frame_path: Frame t (its file name is parsed).
        previous_path: The earlier frame (t-1 for the originals' files).
    """
    fields = []
    for path in (frame_path, previous_path):
        parsed = parse_original_frame_name(naming, path)
        if parsed is None:
            raise DataFormatError(
                f'{path}: not a frame name of the {naming!r} flow naming (expected e.g. '
                + dict(cityscapes='aachen_000000_000019_leftImg8bit.png', viper='001_00010.jpg',
                       synthia='000001.png')[naming] + '); pick the flow_naming of the dataset')
        fields.append(parsed)
    current, previous = fields
    if naming == 'cityscapes':
        return (f'{current["city"]}_{current["seq"]}_{current["frame"]:06d}_'
                f'{previous["frame"]:06d}{ORIGINAL_FLOW_SUFFIX}')
    if naming == 'viper':
        return f'{current["seq"]}_{current["frame"]:05d}{previous["frame"]:05d}{ORIGINAL_FLOW_SUFFIX}'
    return f'{current["frame"]:06d}{ORIGINAL_FLOW_SUFFIX}'


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
#: Parsed ``.npy`` headers (shape, Fortran order, dtype) by their bytes: a dataset's flow files
#: share one header, and numpy parses it with ``ast`` (about half of ``np.load``'s time).
_NPY_HEADERS: Dict[bytes, Tuple[Tuple[int, ...], bool, np.dtype]] = {}


def _parse_npy(data: bytes, path: str) -> np.ndarray:
    flow = _parse_npy_cached(data)
    if flow is None:
        try:
            flow = np.load(io.BytesIO(data), allow_pickle=False)
        except Exception as err:  # truncated .npy -> ValueError/EOFError
            # (numpy's own message may suggest allow_pickle: never for a flow file)
            raise DataCorruptError(f'{path}: not a readable .npy flow file (corrupt or truncated); '
                                   'regenerate it (tools/data/compute_flow.py)') from err
    if flow.dtype == np.int16:
        if not str(path).endswith(ORIGINAL_FLOW_SUFFIX):
            raise DataFormatError(
                f'{path}: an int16 flow array is read as DA-VSN / TPS\'s pixels x 10 only when its '
                f'name ends with {ORIGINAL_FLOW_SUFFIX!r}; rename it if it is one of theirs, or '
                'store float flow')
        if flow.ndim != 3 or flow.shape[2] != 2:
            raise DataFormatError(f'{path}: an int16 x 10 flow must be (H, W, 2) (dx, dy), got shape '
                                  f'{flow.shape}; regenerate it (tools/data/write_original_flow.py)')
        return flow.astype(np.float32) / np.float32(ORIGINAL_FLOW_SCALE)
    return _check_flow_array(flow, path).astype(np.float32)


def _parse_npy_cached(data: bytes) -> Optional[np.ndarray]:
    """The array of a version 1.0 / 2.0 ``.npy`` file as ``np.load`` reads it (a read-only view
    of ``data``), its header parsed once per distinct header; None where ``np.load`` must decide
    (other versions, object dtypes, a short or malformed file: it raises the usual errors)."""
    if data[:6] != b'\x93NUMPY' or len(data) < 12 or data[6] not in (1, 2):
        return None
    length = int.from_bytes(data[8:10] if data[6] == 1 else data[8:12], 'little')
    end = (10 if data[6] == 1 else 12) + length
    header = data[:end]
    meta = _NPY_HEADERS.get(header)
    if meta is None:
        try:
            stream = io.BytesIO(header)
            version = np.lib.format.read_magic(stream)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) \
                else np.lib.format.read_array_header_2_0
            meta = read(stream)
        except Exception:  # noqa: BLE001 - np.load reports it
            return None
        if meta[2].hasobject:
            return None
        if len(_NPY_HEADERS) < 64:
            _NPY_HEADERS[header] = meta
    shape, fortran_order, dtype = meta
    count = int(np.prod(shape, dtype=np.int64))
    if len(data) < end + count * dtype.itemsize:
        return None
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=end)
    return flat.reshape(shape[::-1]).transpose() if fortran_order else flat.reshape(shape)


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
    data = encode_png(raw.astype(np.uint16), path)
    with atomic_write(path) as tmp:
        write_bytes_checked(tmp, data)


def _check_flow_array(flow: np.ndarray, path: PathLike) -> np.ndarray:
    flow = np.asarray(flow)
    if flow.ndim != 3 or flow.shape[2] != 2 or min(flow.shape[:2]) < 1 or \
            not np.issubdtype(flow.dtype, np.floating):
        raise DataFormatError(f'{path}: flow must be a floating (H, W, 2) array of (dx, dy), got '
                              f'dtype {flow.dtype} and shape {flow.shape}; recompute it '
                              '(tools/data/compute_flow.py)')
    return flow


def _check_finite(flow: np.ndarray, path: str) -> None:
    finite = np.isfinite(flow)
    if not finite.all():
        raise DataCorruptError(f'{path}: flow holds {int((~finite).sum())} NaN or infinite values '
                               f'(of {flow.size}); recompute it (tools/data/compute_flow.py)')
