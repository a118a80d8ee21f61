"""Shared pieces of the dataset preparation tools (``tools/data/viper.py``, ``cityscapes_vps.py``).

A problem report, cheap file checks (image header and end marker, without decoding), atomic JSON
writes and a process pool with a progress bar. The per-file work functions live next to each
dataset (``viper.py``, ``cityscapes_vps.py``) so that spawned workers can import them.
"""
import json
import multiprocessing
import os
import os.path as osp
import sys
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

from PIL import Image

from uda_toolbox.datasets.errors import DataFormatError, DataNotFoundError
from uda_toolbox.utils.io import atomic_write

_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_PNG_END = b'IEND\xaeB`\x82'


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
    if head.startswith(_PNG_SIGNATURE):
        return tail.endswith(_PNG_END)
    if head.startswith(b'\xff\xd8'):
        return b'\xff\xd9' in tail[-16:]
    return size > 0


def image_size(path: str, what: str = 'image') -> Tuple[int, int]:
    """(H, W) of an image from its header; raises a DataError naming ``path`` if it is missing,
    unreadable or truncated (no end marker). Does not decode the pixels."""
    if not osp.isfile(path):
        raise DataNotFoundError(f'{what} {path!r} does not exist.')
    if not file_complete(path):
        raise DataFormatError(f'{what} {path!r} is truncated or empty (no end-of-image marker); '
                              'it was copied or extracted partially.')
    try:
        with Image.open(path) as img:
            width, height = img.size
    except Exception as exc:  # PIL raises several types for bad headers
        raise DataFormatError(f'{what} {path!r} is not a readable image ({exc}).') from exc
    return height, width


def write_json_atomic(path: str, obj: object) -> None:
    """Write JSON through a temporary file renamed onto ``path``."""
    with atomic_write(path) as tmp:
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=1, sort_keys=True)
            f.write('\n')


def remove_stale_temporaries(directory: str) -> int:
    """Delete hidden ``.*.tmp*`` files that an interrupted atomic writer left under ``directory``."""
    removed = 0
    for dirpath, _, names in os.walk(directory):
        for name in names:
            if name.startswith('.') and '.tmp' in name:
                os.remove(osp.join(dirpath, name))
                removed += 1
    return removed


class Report:
    """Problems found by a verify or convert run: one line each, naming the file and the fix."""

    def __init__(self) -> None:
        self.lines: List[Tuple[str, str]] = []

    def add(self, level: str, message: str) -> None:
        """Record ``message`` at ``level`` ('ERROR', 'WARN' or 'INFO')."""
        self.lines.append((level, message))

    def error(self, message: str) -> None:
        self.add('ERROR', message)

    def warn(self, message: str) -> None:
        self.add('WARN', message)

    def info(self, message: str) -> None:
        self.add('INFO', message)

    def count(self, level: str) -> int:
        return sum(1 for lvl, _ in self.lines if lvl == level)

    @property
    def ok(self) -> bool:
        return self.count('ERROR') == 0

    def format(self, max_per_level: int = 200) -> str:
        """Report lines, at most ``max_per_level`` of each level, then a summary line."""
        out, shown = [], {}
        for level, message in self.lines:
            shown[level] = shown.get(level, 0) + 1
            if shown[level] <= max_per_level:
                out.append(f'{level}: {message}')
        for level, n in shown.items():
            if n > max_per_level:
                out.append(f'... {n - max_per_level} more {level} lines')
        out.append(f'{self.count("ERROR")} error(s), {self.count("WARN")} warning(s).')
        return '\n'.join(out)


def run_tasks(fn: Callable, tasks: Sequence, workers: int = 1, desc: str = '',
              stream=None) -> List:
    """``[fn(t) for t in tasks]`` in ``workers`` spawned processes, with a progress bar.

    Spawned (not forked) because OpenCV's thread pool does not survive ``fork()``. ``fn``
    must be importable (a module-level function of the package). Results keep task order.
    """
    stream = sys.stderr if stream is None else stream
    total = len(tasks)
    results: List = []
    bar = _ProgressBar(total, desc, stream)
    if workers <= 1 or total <= 1:
        for task in tasks:
            results.append(fn(task))
            bar.update()
    else:
        ctx = multiprocessing.get_context('spawn')
        chunk = max(1, min(64, total // (workers * 8)))
        with ctx.Pool(workers) as pool:
            for result in pool.imap(fn, tasks, chunksize=chunk):
                results.append(result)
                bar.update()
    bar.close()
    return results


class _ProgressBar:
    """A one-line text progress bar (no dependency; updates at most ~100 times)."""

    def __init__(self, total: int, desc: str, stream) -> None:
        self.total, self.desc, self.stream, self.done = total, desc, stream, 0
        # On a terminal the line is redrawn; in a log file one line per 10% is enough.
        self.tty = bool(getattr(stream, 'isatty', lambda: False)())
        self.step = max(1, total // (100 if self.tty else 10))

    def update(self) -> None:
        self.done += 1
        if self.done % self.step == 0 or self.done == self.total:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            line = f'{self.desc} [{"#" * filled}{"." * (width - filled)}] {self.done}/{self.total}'
            self.stream.write(f'\r{line}' if self.tty else f'{line}\n')
            self.stream.flush()

    def close(self) -> None:
        if self.total and self.tty:
            self.stream.write('\n')
            self.stream.flush()


def existing_splits(root: str, candidates: Iterable[str], required: Optional[str] = None) -> List[str]:
    """The split directories of ``candidates`` that exist under ``root``."""
    return [s for s in candidates if osp.isdir(osp.join(root, s, required or ''))]
