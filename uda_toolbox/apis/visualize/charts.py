"""``chart``: a method x class heatmap (or grouped bars) of benchmark results (mean +- std over
seeds) or test metrics."""
import json
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from uda_toolbox.apis.visualize.inputs import VisualizeError, require_file
from uda_toolbox.evaluation import visualization as vis
from uda_toolbox.utils.classes import VIDEO_UDA_CLASSES


def chart_rows(path: str, metric: str) -> Tuple[Dict, Dict, List[str]]:
    """``(rows, errors, classes)`` of a benchmark ``results.json`` or a tools/test.py metrics file."""
    require_file(path, 'results file', 'Pass work_dirs/<benchmark>/results.json (tools/benchmark.py) '
                 'or a test_metrics.json (tools/test.py).')
    try:
        with open(path) as f:
            data = json.load(f)
    except json.JSONDecodeError as exc:
        raise VisualizeError(f'{path!r} is not JSON ({exc}).') from None
    prefix = f'{metric}.'
    rows, errors, classes = {}, {}, []
    if isinstance(data, dict) and isinstance(data.get('metrics'), dict):  # tools/test.py
        # The run's work dir names it (work_dirs/<run>/test_metrics.json), else the config's.
        name = osp.basename(osp.dirname(osp.abspath(path))) or \
            osp.splitext(osp.basename(data.get('config', path)))[0]
        metrics = {k.rsplit('/', 1)[-1]: v for k, v in data['metrics'].items()}
        classes = [c for c in data.get('classes', []) if f'{prefix}{c}' in metrics] or \
            [k[len(prefix):] for k in metrics if k.startswith(prefix)]
        rows[name] = {c: metrics.get(f'{prefix}{c}') for c in classes}
    elif isinstance(data, dict) and all(isinstance(v, dict) for v in data.values()):  # benchmark
        for method, records in data.items():
            for key in records:
                if key.startswith(prefix) and key[len(prefix):] not in classes:
                    classes.append(key[len(prefix):])
            rows[method] = {k[len(prefix):]: r.get('mean') for k, r in records.items()
                            if k.startswith(prefix)}
            if any(len(r.get('values') or []) > 1 for r in records.values()):
                errors[method] = {k[len(prefix):]: r.get('std') for k, r in records.items()
                                  if k.startswith(prefix)}
    if not classes:
        raise VisualizeError(f'{path!r} has no "{prefix}<class>" entries; expected the results.json '
                             'of tools/benchmark.py or the metrics file of tools/test.py.')
    return rows, errors, classes


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


CHART_TITLES = dict(IoU='Per-class IoU (%)',
                    VPQ='Per-class video panoptic quality VPQ (%), mean over the window sizes')


def draw_chart(results: Sequence[str], out: str, metric: str = 'IoU',
               title: Optional[str] = None, kind: str = 'heatmap') -> List[str]:
    """A chart (``out``, PNG) of ``metric`` per class of every row of the ``results`` files
    (benchmark results.json / test_metrics.json): a method x class heatmap with the values
    (``kind='heatmap'``) or grouped bars, one colour per method (``kind='bars'``)."""
    if kind not in ('heatmap', 'bars'):
        raise VisualizeError(f'chart kind {kind!r}: use heatmap or bars.')
    rows, errors, classes = {}, {}, []
    for path in results:
        r, e, c = chart_rows(path, metric)
        for name in r:
            key = name if name not in rows else f'{name} ({osp.basename(osp.dirname(osp.abspath(path)))})'
            rows[key] = r[name]
            if name in e:
                errors[key] = e[name]
        classes += [x for x in c if x not in classes]
    # As in the benchmark tables: a class no run has a value for (absent from the labels) is left out.
    classes = [c for c in classes if any(_is_number(r.get(c)) for r in rows.values())]
    order = {c: k for k, c in enumerate(VIDEO_UDA_CLASSES)}
    classes.sort(key=lambda c: order.get(c, len(order)))
    if kind == 'heatmap':
        vis.plot_per_class_heatmap(rows, classes, out, title or CHART_TITLES[metric],
                                   value_label=f'{metric} (%)', errors=errors or None)
    else:
        vis.plot_per_class_bars(rows, classes, out, title or CHART_TITLES[metric],
                                ylabel=f'{metric} (%)', errors=errors or None)
    print(f'{len(rows)} row(s), {len(classes)} classes -> {out}')
    return [out]
