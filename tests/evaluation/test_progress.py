"""EvalProgressHook: a frame-counting progress bar on mmengine's test loop."""
import io

import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from uda_toolbox.evaluation import EvalProgressHook
from uda_toolbox.registry import HOOKS
from uda_toolbox.utils.progress import Progress, format_duration


class _Frames(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, idx):
        return dict(inputs=torch.zeros(1), data_samples=idx)


class _Model(BaseModel):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return list(data_samples)


class _CountMetric(BaseMetric):
    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        return dict(frames=len(results))


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _run_test(tmp_path, hook):
    runner = Runner(model=_Model(), work_dir=str(tmp_path),
                    test_dataloader=dict(dataset=_Frames(), batch_size=2, num_workers=0,
                                         sampler=dict(type='DefaultSampler', shuffle=False),
                                         collate_fn=dict(type='pseudo_collate')),
                    test_cfg=dict(), test_evaluator=_CountMetric(), custom_hooks=[hook],
                    default_hooks=dict(logger=None, checkpoint=None),
                    # The toolbox's scope, so later tests still find their modules by name.
                    default_scope='uda_toolbox', experiment_name=f'progress_{id(hook)}')
    return runner.test()


def test_bar_counts_frames_on_a_terminal(tmp_path):
    stream = _Terminal()
    metrics = _run_test(tmp_path, EvalProgressHook(stream=stream))
    assert metrics['frames'] == 5
    text = stream.getvalue()
    # Batches of 2, 2 and 1 frames: the bar reaches 5/5 and ends its line.
    assert '2/5' in text and '4/5' in text and '5/5' in text
    assert text.endswith('\n')


def test_log_file_gets_lines_with_eta_not_a_redrawn_bar(tmp_path):
    stream = io.StringIO()  # not a terminal
    _run_test(tmp_path, EvalProgressHook(stream=stream, interval=3600))
    # Within the interval only the last frame writes a line; no carriage return anywhere.
    assert stream.getvalue() == stream.getvalue().split('\n')[0] + '\n'
    line = stream.getvalue().strip()
    assert line.startswith('test: 5/5 frames (100%)') and line.endswith('ETA 0:00:00'), line
    assert '\r' not in stream.getvalue()
    quiet = io.StringIO()
    _run_test(tmp_path, EvalProgressHook(stream=quiet, interactive_only=True))
    assert quiet.getvalue() == ''


def test_progress_lines_every_interval_with_eta():
    now = [0.0]
    stream = io.StringIO()
    progress = Progress(10, 'labels', unit='clips', stream=stream, interval=30, clock=lambda: now[0])
    for t in (10, 20, 40, 50, 70):  # lines at 40 s (3 done) and 70 s (5 done): 30 s apart
        now[0] = t
        progress.update()
    lines = stream.getvalue().splitlines()
    assert lines == ['labels: 3/10 clips (30%), 0.07 clips/s, elapsed 0:00:40, ETA 0:01:33',
                     'labels: 5/10 clips (50%), 0.07 clips/s, elapsed 0:01:10, ETA 0:01:10']
    now[0] = 140
    for _ in range(5):
        progress.update()  # the last task always writes its line
    assert stream.getvalue().splitlines()[-1] == \
        'labels: 10/10 clips (100%), 0.07 clips/s, elapsed 0:02:20, ETA 0:00:00'
    assert format_duration(3 * 3600 + 62) == '3:01:02'


def test_hook_is_registered():
    assert HOOKS.get('EvalProgressHook') is EvalProgressHook
