"""Speed benchmark of adaptors on one batch, in one process (``tools/analysis/benchmark_speed.py``,
docs/performance.md): a training step against source-only, a pseudo-label round against plain
inference, the evaluation against decoding its PNGs; peak memory and optional profiles.

Modules by job: ``measure`` (stopwatch, peak memory, medians), ``entries`` (settings, configs under
test, their family and target), ``batches`` (the shared batch and its loading time), ``steps``,
``rounds``, ``evaluation``, ``profile``, ``report`` (ratios, table) and ``runner`` (the order).
"""
from .entries import TARGETS, SpeedEntry, SpeedSettings, config_name, family
from .report import speed_table
from .runner import measure_speed

__all__ = ['SpeedEntry', 'SpeedSettings', 'TARGETS', 'config_name', 'family', 'measure_speed',
           'speed_table']
