"""Progress over the frames of a validation or test pass (mmengine's loops show none): a bar on a
terminal, periodic lines with the ETA in a log file (:class:`uda_toolbox.utils.progress.Progress`).

Enabled by a config (or by a tool appending it to ``cfg.custom_hooks``)::

    custom_hooks = [dict(type='EvalProgressHook')]
"""
import sys
from typing import Any, Optional, Sequence, TextIO

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from uda_toolbox.registry import HOOKS
from uda_toolbox.utils.progress import Progress, is_terminal


@HOOKS.register_module()
class EvalProgressHook(Hook):
    """Show how many frames of a val/test pass are done, their speed and the ETA.

    On a terminal: mmengine's ``ProgressBar`` (``[>>>   ] frames/total, N task/s, elapsed,
    ETA``; one task is one frame). In a log file (not a terminal): a line
    ``test: 120/800 frames (15%), 3.2 frames/s, elapsed 0:00:37, ETA 0:03:31`` at most every
    ``interval`` seconds and at the end, instead of a redrawn bar that would become one endless
    line. Counts frames (data samples), not batches; only the main process writes.

    Args:
        interactive_only: Write only on a terminal (no lines in a log file).
        on_val: Also show progress during validation inside training.
        stream: Where to write (default ``sys.stdout`` at the time of the pass).
        interval: Seconds between two lines in a log file.
    """

    priority = 'VERY_LOW'

    def __init__(self, interactive_only: bool = False, on_val: bool = True,
                 stream: Optional[TextIO] = None, interval: float = 30.0) -> None:
        self.interactive_only = interactive_only
        self.on_val = on_val
        self.stream = stream
        self.interval = interval
        self._bar: Optional[Progress] = None
        self._phase = 'test'

    # --------------------------------------------------------------- mmengine hook points
    def before_val_epoch(self, runner) -> None:
        if self.on_val:
            self._phase = 'val'
            self._start(runner.val_dataloader)

    def before_test_epoch(self, runner) -> None:
        self._phase = 'test'
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
        if self.interactive_only and not is_terminal(stream):
            return
        try:
            total = len(dataloader.dataset)
        except TypeError:  # an iterable dataset without a length
            total = 0
        # Frames of this rank only: with several processes the bar shows rank 0's share.
        world = getattr(getattr(dataloader, 'sampler', None), 'world_size', 1) or 1
        self._bar = Progress(-(-total // world), self._phase, unit='frames', stream=stream,
                             interval=self.interval)

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
        if 0 < self._bar.total <= self._bar.done:
            self._finish()  # end the line before the metric logs its tables

    def _finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
