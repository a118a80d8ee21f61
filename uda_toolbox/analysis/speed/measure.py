"""Stopwatches and peak memory of a block of code, and their medians over repeats."""
import ctypes
import gc
import resource
import statistics
import time
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional

import torch


def sync(device: torch.device) -> None:
    """Wait for the device's queued work, so a stopwatch sees it."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _status_kb(key: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class PeakMemory:
    """Peak memory of a block: RSS high-water mark on CPU, max allocated on GPU.

    On Linux, writing 5 to ``/proc/self/clear_refs`` resets ``VmHWM`` to the current RSS, so
    each block gets its own peak; freed heap is first returned to the system (``malloc_trim``)
    so that one config's leftovers inflate the next one's figure as little as possible.
    Elsewhere the process-lifetime ``ru_maxrss`` is all there is (``method`` says which).
    """

    def __init__(self, device: torch.device):
        self.device = device
        self._libc = None
        try:
            self._libc = ctypes.CDLL('libc.so.6')
        except OSError:
            pass
        self.method = 'cuda.max_memory_allocated' if device.type == 'cuda' else self._cpu_method()

    def _cpu_method(self) -> str:
        if _status_kb('VmHWM') is not None:
            try:
                with open('/proc/self/clear_refs', 'w') as f:
                    f.write('5')
                return 'VmHWM (reset per block)'
            except OSError:
                pass
        return 'ru_maxrss (process lifetime)'

    @contextmanager
    def measure(self) -> Iterator[Dict[str, float]]:
        out: Dict[str, float] = {}
        gc.collect()
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            before = torch.cuda.memory_allocated(self.device)
            yield out
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
            out.update(peak_mb=peak / 2 ** 20, increase_mb=(peak - before) / 2 ** 20)
            return
        if self._libc is not None:
            self._libc.malloc_trim(0)
        if self.method.startswith('VmHWM'):
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')
            before = _status_kb('VmRSS')
            yield out
            peak = _status_kb('VmHWM')
        else:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            yield out
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out.update(peak_mb=peak / 1024, increase_mb=(peak - before) / 1024)


def peak_summary(method: str, measures: List[Dict[str, float]]) -> Dict[str, Any]:
    """The largest peak and increase over the repeats of a block."""
    return dict(method=method, peak_mb=max(m['peak_mb'] for m in measures),
                increase_mb=max(m['increase_mb'] for m in measures))


def median(values: List[float]) -> float:
    return float(statistics.median(values))


class Stopwatch:
    """Wall-clock and CPU seconds of this process over a block (device work synchronised).

    Other processes on a shared machine stretch the wall time but hardly this process's CPU
    time, so CPU-time ratios are the steadier figure there (single-threaded runs); on a GPU
    only the wall time means anything.
    """

    def __init__(self, device: torch.device = torch.device('cpu'), divisor: int = 1):
        self.device, self.divisor = device, divisor
        self.wall = self.cpu = 0.0

    def __enter__(self) -> 'Stopwatch':
        sync(self.device)
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        sync(self.device)
        self.wall = (time.perf_counter() - self._wall) / self.divisor
        self.cpu = (time.process_time() - self._cpu) / self.divisor


def summary(watches: List[Stopwatch], **extra) -> Dict[str, Any]:
    """Medians (and every repeat) of wall and CPU seconds."""
    return dict(seconds=median([w.wall for w in watches]),
                cpu_seconds=median([w.cpu for w in watches]),
                per_repeat=[w.wall for w in watches], per_repeat_cpu=[w.cpu for w in watches],
                **extra)


def ratio_to(measured: Dict[str, Any], baseline: Dict[str, Any]) -> Dict[str, float]:
    """Wall-clock and CPU-time ratios of two :func:`summary` results."""
    return dict(ratio=measured['seconds'] / baseline['seconds'],
                cpu_ratio=measured['cpu_seconds'] / baseline['cpu_seconds'])
