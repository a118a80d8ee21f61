"""File I/O shared by every layer: atomic writes (a reader never sees a half-written checkpoint,
label or frame) and checked reads of frames and label maps (errors name the file and the fix)."""
import contextlib
import errno
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Iterator, List, Optional, Union

import cv2
import mmengine.fileio as fileio
import numpy as np
from PIL import Image

from uda_toolbox.utils.errors import DataCorruptError, DataFormatError, DataNotFoundError

PathLike = Union[str, os.PathLike]


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates 0600 files; written files should get the usual 0666 & ~umask, as open() gives
# them, so colleagues on a shared cluster can read labels, figures and tables.
_FILE_MODE = 0o666 & ~_read_umask()


@contextlib.contextmanager
def atomic_write(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary file lives in the same directory so the final ``os.replace`` is
    atomic on POSIX file systems. On an exception the temporary file is removed and
    whatever was at ``path`` before is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp' + path.suffix,
                               dir=path.parent)
    os.close(fd)
    os.chmod(tmp, _FILE_MODE)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_temp_pattern(final_name: str) -> 're.Pattern[str]':
    """The names :func:`atomic_write` gives the temporary files of final names matching the
    regular expression ``final_name``: ``.<name>.<8 random characters>.tmp<suffix>``."""
    return re.compile(rf'^\.(?:{final_name})\.[a-z0-9_]{{8}}\.tmp(?:\.[A-Za-z0-9]+)?$')


def remove_stale_temp_files(directory: PathLike, final_name: str) -> List[str]:
    """Delete the temporary files a killed :func:`atomic_write` left in ``directory`` for final
    names matching ``final_name`` (a regular expression); only names of that exact pattern are
    touched. Call it when no other process writes there. Returns the removed paths."""
    pattern = atomic_temp_pattern(final_name)
    removed = []
    if not os.path.isdir(directory):
        return removed
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if pattern.match(name) and os.path.isfile(path) and not os.path.islink(path):
            os.remove(path)
            removed.append(path)
    return removed


def encode_png(array: np.ndarray, path: PathLike = '<memory>') -> bytes:
    """PNG bytes of an image (the bytes ``cv2.imwrite`` would write)."""
    ok, encoded = cv2.imencode('.png', array)
    if not ok:
        raise OSError(f'cannot encode {path} as PNG (array of shape {array.shape}, '
                      f'dtype {array.dtype})')
    return encoded.tobytes()


def write_bytes_checked(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` and check the size that reached the file.

    ``cv2.imwrite`` reports success on a full disk (ENOSPC) and leaves an empty or cut-off
    file; Python's file writes raise ``OSError`` instead, and the size check catches a file
    system that still loses bytes silently.
    """
    with open(path, 'wb') as f:
        f.write(data)
    size = os.path.getsize(path)
    if size != len(data):
        raise OSError(errno.EIO, f'wrote {len(data)} bytes but the file has {size} (is the '
                      'disk full?)', str(path))


def write_png(path: PathLike, array: np.ndarray) -> None:
    """Write an image as PNG, raising ``OSError`` when the file is not written whole."""
    write_bytes_checked(path, encode_png(array, path))


def write_png_atomic(path: PathLike, array: np.ndarray) -> None:
    """Write an 8-bit image (H, W) or (H, W, 3 BGR) as PNG, atomically (errors as
    :func:`write_png`)."""
    data = encode_png(array, path)
    with atomic_write(path) as tmp:
        write_bytes_checked(tmp, data)


def write_npy_atomic(path: PathLike, array: np.ndarray) -> None:
    """Write a numpy array as ``.npy``, atomically."""
    with atomic_write(path) as tmp:
        with open(tmp, 'wb') as f:
            np.save(f, array)


# ----------------------------------------------------------------------------- checked reads
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
PNG_END = b'IEND\xaeB`\x82'  # IEND chunk type + its fixed CRC: the last 8 bytes of a PNG
JPEG_START = b'\xff\xd8'
JPEG_END = b'\xff\xd9'


def path_problem(path: PathLike) -> str:
    """Why ``path`` cannot be used, for a message: ``'does not exist'``, or what is wrong with a
    symbolic link on the way (a loop, or a link to nothing)."""
    path = os.fspath(path)
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return ('is (or goes through) a symbolic link loop (links that point at each other); '
                    'fix the links')
        if os.path.islink(path):
            return f'is a symbolic link to {os.readlink(path)!r}, which does not exist'
        if exc.errno == errno.ENOENT:
            return 'does not exist'
        return f'cannot be accessed ({exc.strerror})'
    return 'exists'


def resolve_inside(root: str, relative: str, what: str) -> str:
    """``root/relative``, after checking that it stays inside ``root``.

    For paths built from names read out of data files (index files, clip ids): an absolute
    name or one with ``..`` components could make training read, or a pseudo-label round write,
    files anywhere. The check is on the path's text, so symbolic links inside the root (data on
    another disk) keep working.

    Raises:
        DataFormatError: naming ``what`` (where the name came from) and both paths.
    """
    relative = os.fspath(relative)
    joined = os.path.normpath(os.path.join(root, relative))
    base = os.path.normpath(root)
    inside = not os.path.isabs(relative) and '\0' not in relative and (
        base == '.' and not joined.startswith('..') and not os.path.isabs(joined)
        or joined == base or joined.startswith(base.rstrip(os.sep) + os.sep))
    if not inside:
        raise DataFormatError(
            f'{what}: {relative!r} leads outside {root!r} (to {joined!r}); names read from data '
            'files must stay inside their directory. The file is corrupt or was crafted: '
            'rewrite it (e.g. regenerate the index with the preparation tool).')
    return os.path.join(root, relative)


def read_bytes(path: str, what: str, backend_args: Optional[dict] = None) -> bytes:
    """Read a whole file; a missing or empty file raises an error naming it.

    Args:
        path: File path (any mmengine file backend).
        what: What the file is ('frame', 'label', 'flow'), for the message.
        backend_args: mmengine file backend arguments.
    """
    try:
        data = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise DataNotFoundError(f'{what} file not found: {path!r} (the dataset lists it but it '
                                'is gone). Restore it or regenerate the data.') from None
    except OSError as exc:  # a symbolic link loop, a directory, no permission...
        problem = path_problem(path)
        problem = f'{exc.strerror or exc}' if problem == 'exists' else problem
        raise DataNotFoundError(f'{what} file {path!r} cannot be read: it {problem}. Restore it '
                                'or regenerate the data.') from None
    if not data:
        raise DataCorruptError(f'{what} file is empty: {path!r}; regenerate it.')
    return data


def check_not_truncated(data: bytes, path: str, what: str) -> None:
    """Raise if a PNG/JPEG byte string lacks its end marker (a partially written file).

    Decoders may silently return a partial image for truncated files, so the
    end marker is checked explicitly.
    """
    truncated = False
    if data.startswith(PNG_SIGNATURE):
        truncated = not data.endswith(PNG_END)
    elif data.startswith(JPEG_START):  # JPEG SOI; EOI (ff d9) must close the stream
        truncated = JPEG_END not in data[-1024:]
    if truncated:
        raise DataCorruptError(f'{what} file is truncated: {path!r} (no end-of-image marker); '
                               'it was probably written partially; regenerate it.')


def png_complete(path: PathLike) -> bool:
    """True if ``path`` is a non-empty PNG file with its signature and end marker (reads the
    first and last bytes only)."""
    try:
        with open(path, 'rb') as f:
            head = f.read(8)
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - len(PNG_END)))
            tail = f.read()
    except OSError:
        return False
    return head == PNG_SIGNATURE and tail == PNG_END and size > len(PNG_SIGNATURE) + len(PNG_END)


def file_complete(path: str) -> bool:
    """True if a PNG/JPEG file ends with its end-of-image marker (reads the last bytes only)."""
    try:
        with open(path, 'rb') as f:
            head = f.read(8)
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 1024))
            tail = f.read()
    except OSError:
        return False
    if head.startswith(PNG_SIGNATURE):
        return tail.endswith(PNG_END)
    if head.startswith(JPEG_START):
        return JPEG_END in tail[-16:]
    return size > 0


def load_frame(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Decode a frame as (H, W, 3) uint8 BGR, naming the file on any failure."""
    data = read_bytes(path, 'frame', backend_args)
    check_not_truncated(data, path, 'frame')
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise DataCorruptError(f'frame file could not be decoded: {path!r}; it is corrupt or '
                               'not an image; regenerate it.')
    return img


def load_label(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Decode a label map as (H, W) integer ids with PIL (palette PNGs give indices)."""
    data = read_bytes(path, 'label', backend_args)
    check_not_truncated(data, path, 'label')
    try:
        with Image.open(io.BytesIO(data)) as pil:
            pil.load()
            mode = pil.mode
            label = np.array(pil)
    except Exception as exc:  # PIL raises OSError/SyntaxError/ValueError for bad files
        raise DataCorruptError(f'label file could not be decoded: {path!r}; it is corrupt or not '
                               'an image; regenerate it.') from exc
    if label.ndim != 2:
        raise DataFormatError(
            f'label file {path!r} has mode {mode!r} with shape {label.shape}; labels must be '
            'single-channel (mode L/P/I) maps of class ids, not colour images. Convert colours to '
            'ids first.')
    return label
