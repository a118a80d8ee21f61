"""A progress bar over the frames of a validation or test pass (mmengine's loops show none).

Enabled by a config (or by a tool appending it to ``cfg.custom_hooks``)::

    custom_hooks = [dict(type='EvalProgressHook')]
"""
import sys
from typing import Any, Optional, Sequence, TextIO

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from uda_toolbox.registry import HOOKS


@HOOKS.register_module()
class EvalProgressHook(Hook):
    """Show ``[>>>   ] frames/total, N task/s, elapsed, ETA`` while the val/test loop runs (mmengine's
    ``ProgressBar``: one task is one frame).

    Counts frames (data samples), not batches. Only the main process draws, and by default only
    on a terminal: in a log file the LoggerHook's ``Epoch(test) [i/n]`` lines already say how far
    evaluation is, and a redrawn bar would be one endless line of carriage returns.

    Args:
        interactive_only: Draw only when ``stream`` is a terminal.
        on_val: Also draw during validation inside training.
        stream: Where to draw (default ``sys.stdout`` at the time of the pass).
    """

    priority = 'VERY_LOW'

    def __init__(self, interactive_only: bool = True, on_val: bool = True,
                 stream: Optional[TextIO] = None) -> None:
        self.interactive_only = interactive_only
        self.on_val = on_val
        self.stream = stream
        self._bar: Optional[ProgressBar] = None

    # --------------------------------------------------------------- mmengine hook points
    def before_val_epoch(self, runner) -> None:
        if self.on_val:
            self._start(runner.val_dataloader)

    def before_test_epoch(self, runner) -> None:
        self._start(runner.test_dataloader)

    def after_val_iter(self, runner, batch_idx: int, data_batch: Any = None,
                       outputs: Optional[Sequence] = None) -> None:
        self._update(data_batch, outputs)

    def after_test_iter(self, runner, batch_idx: int, data_batch: Any = None,
                        outputs: Optional[Sequence] = None) -> None:
        self._update(data_batch, outputs)

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._finish()

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._finish()

    # --------------------------------------------------------------- the bar
    def _start(self, dataloader: Any) -> None:
        self._finish()
        stream = self.stream or sys.stdout
        if not is_main_process():
            return
        if self.interactive_only and not getattr(stream, 'isatty', lambda: False)():
            return
        try:
            total = len(dataloader.dataset)
        except TypeError:  # an iterable dataset without a length
            total = 0
        # Frames of this rank only: with several processes the bar shows rank 0's share.
        world = getattr(getattr(dataloader, 'sampler', None), 'world_size', 1) or 1
        self._bar = ProgressBar(-(-total // world), file=stream)

    def _update(self, data_batch: Any, outputs: Optional[Sequence]) -> None:
        if self._bar is None:
            return
        if outputs is not None and hasattr(outputs, '__len__'):
            count = len(outputs)
        elif isinstance(data_batch, dict) and hasattr(data_batch.get('inputs'), '__len__'):
            count = len(data_batch['inputs'])
        else:
            count = 1
        if count > 0:
            self._bar.update(count)
        if 0 < self._bar.task_num <= self._bar.completed:
            self._finish()  # end the line before the metric logs its tables

    def _finish(self) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar.file.flush()
            self._bar = None
