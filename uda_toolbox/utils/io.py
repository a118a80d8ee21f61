"""Atomic file writes: a reader never sees a half-written checkpoint, label or frame."""
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator, Union

import cv2
import numpy as np

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


def write_png_atomic(path: PathLike, array: np.ndarray) -> None:
    """Write an 8-bit image (H, W) or (H, W, 3 BGR) as PNG, atomically."""
    with atomic_write(path) as tmp:
        ok = cv2.imwrite(str(tmp), array)
        if not ok:
            raise OSError(f'cv2.imwrite could not write {path}')


def write_npy_atomic(path: PathLike, array: np.ndarray) -> None:
    """Write a numpy array as ``.npy``, atomically."""
    with atomic_write(path) as tmp:
        with open(tmp, 'wb') as f:
            np.save(f, array)
