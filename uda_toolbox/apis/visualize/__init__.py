"""The library behind ``tools/visualize.py``: predictions, model comparisons, pseudo-label rounds,
optical flow and benchmark charts drawn as images (docs/visualization.md).

Frames come from a config's test dataset (``test_dataloader.dataset``); predictions are the
model's ``test_step`` outputs, exactly what tools/test.py evaluates. Every file is written
atomically. The drawing primitives are ``uda_toolbox.evaluation.visualization``.
"""
from typing import Any, List

from uda_toolbox.apis.visualize.charts import draw_chart
from uda_toolbox.apis.visualize.flow import draw_flow
from uda_toolbox.apis.visualize.inputs import VisualizeError
from uda_toolbox.apis.visualize.labels import draw_pseudo_labels
from uda_toolbox.apis.visualize.predictions import draw_comparison, draw_predictions
from uda_toolbox.utils.errors import DataError

#: ``tools/visualize.py`` command -> the function drawing it (its keyword arguments are the flags).
COMMANDS = dict(predict=draw_predictions, compare=draw_comparison, labels=draw_pseudo_labels,
                flow=draw_flow, chart=draw_chart)
#: Commands that build datasets or models from a config (they need the registries filled).
USES_REGISTRIES = ('predict', 'compare', 'labels')


def visualize(command: str, **kwargs: Any) -> List[str]:
    """Run ``command`` (a key of :data:`COMMANDS`) and return the files written. Bad inputs exit
    with a one-line message naming the input and the fix."""
    if command in USES_REGISTRIES:
        from uda_toolbox import register_all_modules

        register_all_modules(init_default_scope=True)
    try:
        return COMMANDS[command](**kwargs)
    except (VisualizeError, DataError) as exc:
        raise SystemExit(f'error: {exc}') from None
    except (OSError, ValueError) as exc:  # unreadable or malformed frame/label/flow files
        raise SystemExit(f'error: {exc}') from None


__all__ = ['COMMANDS', 'VisualizeError', 'draw_chart', 'draw_comparison', 'draw_flow',
           'draw_predictions', 'draw_pseudo_labels', 'visualize']
