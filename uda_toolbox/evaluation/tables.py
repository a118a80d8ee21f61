"""Markdown tables of per-class metrics.

Shared by :class:`~uda_toolbox.evaluation.ClipSegMetric` (log output),
``tools/test.py`` and the benchmark, so every report prints the same layout.
"""
from __future__ import annotations

import json
import math
import re
from typing import Mapping, Optional, Sequence, Tuple

# Matches the per-window summary keys written by ClipSegMetric, e.g. 'VPQ_k10'.
_VPQ_K_KEY = re.compile(r'^VPQ_k(\d+)$')


def _format_value(value: object, precision: int) -> str:
    """One table cell: NaN / missing / non-numeric -> '-', numbers rounded."""
    if value is None:
        return '-'
    try:
        number = float(value)  # accepts numpy scalars and 0-d arrays
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return '-'
    return f'{number:.{precision}f}'


def format_class_table(rows: Mapping[str, Mapping[str, float]],
                       columns: Sequence[str],
                       title: Optional[str] = None,
                       precision: int = 1) -> str:
    """Render rows of named values as a Markdown table.

    Args:
        rows: ``{row_name: {column_name: value}}``; a column missing from a row
            and NaN values are printed as ``-``.
        columns: Column names in display order (e.g. classes then ``'mean'``).
        title: Optional bold line printed above the table.
        precision: Digits after the decimal point.

    Returns:
        The table as a string (no trailing newline).
    """
    header = '| | ' + ' | '.join(str(c) for c in columns) + ' |'
    # '---:' right-aligns numbers; the first column holds row names.
    separator = '|:---|' + '|'.join('---:' for _ in columns) + '|'
    lines = [header, separator]
    for row_name, values in rows.items():
        cells = [_format_value(values.get(col), precision) for col in columns]
        lines.append(f'| {row_name} | ' + ' | '.join(cells) + ' |')
    table = '\n'.join(lines)
    if title:
        table = f'**{title}**\n\n{table}'
    return table


def _strip_prefix(metrics: Mapping[str, float]) -> dict:
    """Drop an evaluator prefix (``'val/mIoU'`` -> ``'mIoU'``).

    Class names never contain '/', so everything up to the last '/' is the
    prefix that mmengine's ``BaseMetric.evaluate`` adds.
    """
    return {key.rsplit('/', 1)[-1]: value for key, value in metrics.items()}


def metrics_to_tables(metrics: Mapping[str, float], classes: Sequence[str],
                      precision: int = 1) -> str:
    """Render a :class:`ClipSegMetric` result dict as Markdown tables.

    Produces a per-class IoU table (columns: classes, ``mIoU``, ``aAcc``) and,
    when VPQ keys are present, a VPQ^s table with one row per window size
    ``k`` plus a ``mean`` row and columns classes + ``mean``.

    Args:
        metrics: Flat dict with keys ``mIoU``, ``aAcc``, ``IoU.<class>``,
            ``VPQ``, ``VPQ_k<k>``, ``VPQ.<class>``, ``VPQ_k<k>.<class>``
            (values in %), optionally prefixed by ``'<prefix>/'``.
        classes: Class names in display order.
        precision: Digits after the decimal point.

    Returns:
        The tables separated by a blank line.
    """
    flat = _strip_prefix(metrics)
    classes = [str(c) for c in classes]

    iou_row = {c: flat.get(f'IoU.{c}') for c in classes}
    iou_row['mIoU'] = flat.get('mIoU')
    iou_row['aAcc'] = flat.get('aAcc')
    tables = [format_class_table({'IoU': iou_row}, classes + ['mIoU', 'aAcc'],
                                 title='Per-class IoU (%)', precision=precision)]

    window_sizes = sorted(int(m.group(1)) for m in map(_VPQ_K_KEY.match, flat) if m)
    if window_sizes:
        vpq_rows = {}
        undefined = [k for k in window_sizes if _undefined(flat.get(f'VPQ_k{k}'))]
        for k in window_sizes:
            row = {c: flat.get(f'VPQ_k{k}.{c}') for c in classes}
            row['mean'] = flat.get(f'VPQ_k{k}')
            vpq_rows[f'k={k} (undefined)' if k in undefined else f'k={k}'] = row
        mean_row = {c: flat.get(f'VPQ.{c}') for c in classes}
        mean_row['mean'] = flat.get('VPQ')
        # VPQ averages the k that have a value (ClipSegMetric): say which, when some have none.
        defined = [str(k) for k in window_sizes if k not in undefined]
        vpq_rows[f'mean over k={", ".join(defined)}' if undefined and defined else 'mean'] = \
            mean_row
        tables.append(format_class_table(vpq_rows, classes + ['mean'],
                                         title='VPQ^s (%) per window size k',
                                         precision=precision))
    return '\n\n'.join(tables)


def _undefined(value: object) -> bool:
    """A metric value that is missing or NaN (a window size without windows, ...)."""
    return value is None or math.isnan(float(value))


def _mean_std(values: Sequence[Optional[float]]) -> Tuple[float, float, int]:
    """Mean and sample std over seeds, ignoring missing/NaN values (std 0 for one value)."""
    finite = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not finite:
        return math.nan, math.nan, 0
    mean = sum(finite) / len(finite)
    if len(finite) < 2:
        return mean, 0.0, len(finite)
    var = sum((v - mean) ** 2 for v in finite) / (len(finite) - 1)
    return mean, math.sqrt(var), len(finite)


def _cell(mean: float, std: float, count: int, precision: int) -> str:
    if count == 0:
        return '-'
    if count == 1:
        return f'{mean:.{precision}f}'
    return f'{mean:.{precision}f} ± {std:.{precision}f}'


def _reference_row(row: Mapping, classes: Sequence[str], mean_column: str) -> dict:
    """A published row as table cells: its class values by name, its mean, its Arch. A row whose
    ``per_class`` is None (a paper that reports only its mean) has the mean alone ('-' per class)."""
    cells = {'Arch.': row.get('arch', '-'), 'method': row['method'], mean_column: row['mean']}
    if row.get('per_class') is not None:
        cells.update(zip(classes, row['per_class']))
    return cells


# The benchmark tables by metric name (the keys a spec's ``metrics`` lists).
BENCHMARK_METRICS = ('mIoU', 'VPQ')


def benchmark_table_options(spec: Mapping) -> dict:
    """The keyword arguments of :func:`benchmark_tables` that a benchmark spec declares.

    Spec keys (all optional): ``metrics`` (the metrics the benchmark reports, a subset of
    ``BENCHMARK_METRICS``; default both), ``not_defined`` (``{metric: why}`` for a metric the
    benchmark cannot define: its table says so instead of printing numbers) and ``unpublished``
    (``{row name: why}`` for rows with no published result: one note line each under the tables).
    The benchmark runner passes these with ``benchmark_tables(..., **benchmark_table_options(spec))``.
    """
    metrics = tuple(spec.get('metrics', BENCHMARK_METRICS))
    unknown = sorted(set(metrics) - set(BENCHMARK_METRICS))
    not_defined = dict(spec.get('not_defined', {}))
    unknown += sorted(set(not_defined) - set(BENCHMARK_METRICS))
    if unknown:
        raise ValueError(f'benchmark spec: unknown metrics {unknown}; known: {BENCHMARK_METRICS}.')
    notes = [f'{name}: {why}' for name, why in dict(spec.get('unpublished', {})).items()]
    return dict(metrics=metrics, not_defined=not_defined, notes=notes)


def benchmark_tables(results: Mapping[str, Sequence[Mapping[str, float]]],
                     classes: Sequence[str],
                     arch: Optional[Mapping[str, str]] = None,
                     precision: int = 1,
                     reference: Optional[Mapping[str, Sequence[Mapping]]] = None,
                     reference_classes: Sequence[str] = (),
                     paper_names: Optional[Mapping[str, str]] = None,
                     metrics: Sequence[str] = BENCHMARK_METRICS,
                     not_defined: Optional[Mapping[str, str]] = None,
                     notes: Sequence[str] = ()) -> dict:
    """Table 1 (per-class IoU + mIoU) and Table 2 (per-class VPQ^s + mean) of several runs.

    Args:
        results: ``{method: [metrics of seed 0, metrics of seed 1, ...]}`` (ClipSegMetric
            dicts, values in %), in display order.
        classes: Class names in the paper's order. Classes without a value in any run
            (absent from the evaluation labels) are left out of the tables.
        arch: ``{method: 'AT' | 'ST' | 'A+S' | '-'}``, Shin et al. (2021)'s "Arch." column.
        precision: Digits after the decimal point.
        reference: Published rows to print beside the measured ones, ``{'Table 1': rows,
            'Table 2': rows}`` with rows as in ``configs/_base_/paper_results.py``
            (``method``, ``arch``, ``per_class`` in ``reference_classes`` order or None for a
            mean-only row, ``mean``).
            A paper row follows the measured row that ``paper_names`` maps to it (measured
            name -> paper name; same name by default); unmatched paper rows come last.
        reference_classes: Class order of the reference rows' ``per_class``.
        paper_names: ``{measured method: paper method}`` where the names differ.
        metrics: The tables to build, by metric (``'mIoU'``: Table 1, ``'VPQ'``: Table 2).
        not_defined: ``{metric: why}``: the metric's table is a sentence saying it is not
            defined on this benchmark and why (never numbers, never zeros); nothing of it goes
            to the CSV / JSON.
        notes: Lines printed under the tables (e.g. rows without published results).

    Returns:
        ``dict(markdown=str, csv=str, json=str)``; cells are mean ± std over seeds.
    """
    arch = arch or {}
    reference = reference or {}
    paper_names = paper_names or {}
    not_defined = dict(not_defined or {})
    flat = {name: [_strip_prefix(m) for m in runs] for name, runs in results.items()}
    tables = {
        'Table 1: mIoU (%)': ('mIoU', [f'IoU.{c}' for c in classes] + ['mIoU'],
                              list(classes) + ['mIoU']),
        'Table 2: VPQ^s (%)': ('VPQ', [f'VPQ.{c}' for c in classes]
                               + ['VPQ_k0', 'VPQ_k5', 'VPQ_k10', 'VPQ_k15', 'VPQ'],
                               list(classes) + ['k=0', 'k=5', 'k=10', 'k=15', 'VPQ^s']),
    }
    markdown, records = [], {}
    csv_lines = ['table,method,arch,seeds,column,mean,std']
    for title, (metric, keys, names) in tables.items():
        if metric in not_defined:
            markdown.append(f'**{title}**\n\nNot defined on this benchmark: {not_defined[metric]}')
            continue
        if metric not in metrics:
            continue
        stats = {name: {key: _mean_std([run.get(key) for run in runs]) for key in keys}
                 for name, runs in flat.items()}
        kept = [(k, n) for k, n in zip(keys, names)
                if any(stats[m][k][2] > 0 for m in stats)]
        paper_rows = {r['method']: _reference_row(r, reference_classes, names[-1])
                      for r in reference.get(title.split(':')[0], [])}
        if paper_rows:  # keep the columns the paper reports even where nothing was measured
            kept = [(k, n) for k, n in zip(keys, names)
                    if (k, n) in kept or any(n in row for row in paper_rows.values())]
        if not kept:  # no run measured it and no paper reports it: say so, print no empty table
            markdown.append(f'**{title}**\n\nNo run reported {metric}.')
            continue
        rows = {}
        for method, by_key in stats.items():
            seeds = len(flat[method])
            rows[f'{method} ({seeds} seed{"s" if seeds > 1 else ""})'] = dict(
                {'Arch.': arch.get(method, '-')},
                **{n: _cell(*by_key[k], precision) for k, n in kept})
            paper_row = paper_rows.pop(paper_names.get(method, method), None)
            if paper_row is not None:
                rows[f'{paper_row["method"]} (paper)'] = paper_row
            for key, name in kept:
                mean, std, _ = by_key[key]
                csv_lines.append(f'{title.split(":")[0]},{method},{arch.get(method, "-")},'
                                 f'{seeds},{name},{mean:.4f},{std:.4f}')
                records.setdefault(method, {})[key] = dict(
                    mean=None if math.isnan(mean) else mean, std=None if math.isnan(std) else std,
                    values=[run.get(key) for run in flat[method]])
        for paper_row in paper_rows.values():
            rows[f'{paper_row["method"]} (paper)'] = paper_row
        markdown.append(format_class_table(rows, ['Arch.'] + [n for _, n in kept],
                                           title=title, precision=precision))
    if notes:
        markdown.append('\n'.join(f'- {line}' for line in notes))
    return dict(markdown='\n\n'.join(markdown), csv='\n'.join(csv_lines) + '\n',
                json=json.dumps(records, indent=1, allow_nan=False))
