"""Progress of a counted task for terminals and log files alike.

On a terminal it is mmengine's ``ProgressBar`` (redrawn in place, with speed and ETA). Where the
output goes to a file (a job's log, ``nohup``, a CI log) a redrawn bar would be one endless
line of carriage returns, so there it writes a line at most every ``interval`` seconds, and one
at the end::

    test: 120/800 frames (15%), 3.2 frames/s, elapsed 0:00:37, ETA 0:03:31
"""
import sys
import time
from typing import Optional, TextIO

from mmengine.utils import ProgressBar


def format_duration(seconds: float) -> str:
    """``0:03:31`` (hours:minutes:seconds; days are counted in hours)."""
    seconds = max(0, int(round(seconds)))
    return f'{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}'


def eta_seconds(done: float, total: float, elapsed: float) -> Optional[float]:
    """Seconds left at the mean rate so far; None before anything is done."""
    if done <= 0 or total <= 0:
        return None
    return elapsed * max(total - done, 0) / done


def progress_line(desc: str, done: int, total: int, elapsed: float, unit: str = 'tasks') -> str:
    """``'<desc>: done/total unit (p%), r unit/s, elapsed h:mm:ss, ETA h:mm:ss'``."""
    eta = eta_seconds(done, total, elapsed)
    share = f' ({100 * done // total}%)' if total else ''
    rate = f', {done / elapsed:.2f} {unit}/s' if elapsed > 0 and done else ''
    return (f'{desc}: {done}/{total} {unit}{share}{rate}, elapsed {format_duration(elapsed)}, '
            f'ETA {format_duration(eta) if eta is not None else "unknown"}')


def is_terminal(stream: TextIO) -> bool:
    return bool(getattr(stream, 'isatty', lambda: False)())


class Progress:
    """Count ``total`` tasks: a ``ProgressBar`` on a terminal, periodic lines elsewhere.

    Args:
        total: Number of tasks (0: unknown; lines then show the count only).
        desc: What is counted, at the start of each line.
        unit: The name of one task in the lines (``frames``, ``clips``).
        stream: Where to write (default ``sys.stdout`` when created).
        interval: Seconds between two lines in a log file (the last task always writes one).
        clock: The time source (tests pass a fake one).
    """

    def __init__(self, total: int, desc: str = 'progress', unit: str = 'tasks',
                 stream: Optional[TextIO] = None, interval: float = 30.0,
                 clock=time.monotonic) -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.stream = stream if stream is not None else sys.stdout
        self.interval, self.clock = interval, clock
        self.done = 0
        self.start = self.last_line = clock()
        self.bar = ProgressBar(total, file=self.stream) if is_terminal(self.stream) else None

    def update(self, count: int = 1) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
            return
        now = self.clock()
        if now - self.last_line >= self.interval or (self.total and self.done >= self.total):
            self.last_line = now
            self.stream.write(progress_line(self.desc, self.done, self.total, now - self.start,
                                            self.unit) + '\n')
            self.stream.flush()

    def close(self) -> None:
        """End the bar's line (terminal); nothing to do for log lines."""
        if self.bar is not None:
            self.stream.write('\n')
            self.stream.flush()
            self.bar = None
