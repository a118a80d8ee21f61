"""Running the tools in-process on the tiny pair, for the tests of issue 17."""
import itertools
import os

import pytest

_names = itertools.count()


def write_config(directory, data_root, max_iters=2, base='configs/source_only/synthetic.py',
                 extra=''):
    """A config of the tiny pair: a checkpoint every iteration, no validation."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = directory / f'reliability_{next(_names)}.py'
    path.write_text(f"""
_base_ = ['{repo}/{base}']
load_from = None
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    source=dict(data_root='{data_root}'), target=dict(data_root='{data_root}')))
test_dataloader = dict(batch_size=4, **_loader, dataset=dict(data_root='{data_root}'))
train_cfg = dict(max_iters={max_iters}, val_interval=1000)
val_dataloader = None
val_cfg = None
val_evaluator = None
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=5))
{extra}
""")
    return path


def tool_exit(tool, *argv) -> str:
    """Run a tool in-process; the message it exits with (never a traceback)."""
    with pytest.raises(SystemExit) as err:
        tool.main([str(a) for a in argv])
    message = str(err.value.code)
    assert 'Traceback' not in message, message
    return message
