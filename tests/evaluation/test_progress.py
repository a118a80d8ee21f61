"""EvalProgressHook: a frame-counting progress bar on mmengine's test loop."""
import io

import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from uda_toolbox.evaluation import EvalProgressHook
from uda_toolbox.registry import HOOKS


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


def test_no_bar_in_a_log_file_unless_asked(tmp_path):
    stream = io.StringIO()  # not a terminal
    _run_test(tmp_path, EvalProgressHook(stream=stream))
    assert stream.getvalue() == ''
    _run_test(tmp_path, EvalProgressHook(stream=stream, interactive_only=False))
    assert '5/5' in stream.getvalue()


def test_hook_is_registered():
    assert HOOKS.get('EvalProgressHook') is EvalProgressHook
