"""The bad-input matrix (issue 7): each bad input stops with a message naming the file or config key
and the fix. Dataset cases run the data pipeline directly; the others run the tools in-process
(``tools.train.main`` / ``tools.test.main``) and read the message they exit with."""
import argparse
import itertools
import os
import shutil
import tempfile

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from PIL import Image

from tools import test as test_tool
from tools import train as train_tool
from uda_toolbox.apis import build_train_config
from uda_toolbox.datasets import ClipDataset
from uda_toolbox.engine.hooks.nan_loss_hook import NaNLossHook, NonFiniteLossError, non_finite_terms
from uda_toolbox.utils.checkpoint import UNSAFE_LOAD_ENV
from uda_toolbox.utils.errors import (
    DataCorruptError,
    DataError,
    DataFormatError,
    DataNotFoundError,
)

_names = itertools.count()
PIPELINE = [dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations'), dict(type='LoadClipFlow')]
FRAME = 'source/train/img/000/000_00001.png'
FILES = dict(frame=FRAME, label='source/train/cls/000/000_00001.png',
             flow='source/train/flow/000/000_00001_bw.npy')


@pytest.fixture
def pair(tmp_path, tiny_pair):
    """A private copy of the tiny embedded pair, free to damage."""
    root = tmp_path / 'pair'
    shutil.copytree(tiny_pair, root)
    return root


def source_dataset(root, **kwargs):
    init_default_scope('uda_toolbox')
    prefix = dict(img_path='source/train/img', seg_map_path='source/train/cls',
                  flow_path='source/train/flow')
    return ClipDataset(data_root=str(root), data_prefix=prefix, pipeline=PIPELINE, **kwargs)


def load_error(dataset, idx=0) -> DataError:
    """The DataError raised while loading item ``idx`` (frame pair (0, 1) of clip 000)."""
    with pytest.raises(DataError) as err:
        dataset[idx]
    return err.value


# ----------------------------------------------------------------------------- files
@pytest.mark.parametrize('kind', ['frame', 'label', 'flow'])
@pytest.mark.parametrize('damage', ['missing', 'corrupt', 'truncated', 'empty'])
def test_damaged_file_is_named_with_the_fix(pair, kind, damage):
    dataset = source_dataset(pair)  # scanned while the file was fine
    path = pair / FILES[kind]
    data = path.read_bytes()
    if damage == 'missing':
        path.unlink()
    else:
        path.write_bytes({'corrupt': b'this is not a ' + kind.encode() + b' file' * 20,
                          'truncated': data[:len(data) // 2], 'empty': b''}[damage])
    error = load_error(dataset)
    expected = DataNotFoundError if damage == 'missing' else DataCorruptError
    assert isinstance(error, expected), repr(error)
    message = str(error)
    assert str(path) in message
    assert 'regenerate' in message.lower() or 'restore' in message.lower(), message


def test_label_values_out_of_range_are_listed(pair):
    label = np.zeros((32, 64), np.uint8)
    label[0, :3] = (15, 200, 255)  # 255 is the ignore label; 15 and 200 are not classes
    Image.fromarray(label).save(pair / FILES['label'])
    error = load_error(source_dataset(pair))
    assert isinstance(error, DataFormatError)
    message = str(error)
    assert FILES['label'] in message and '[15, 200]' in message and 'label_map' in message


@pytest.mark.parametrize('kind', ['frame', 'label', 'flow'])
def test_size_mismatch_names_both_files(pair, kind):
    path = pair / FILES[kind]
    if kind == 'frame':  # a frame unlike the other frame of its pair
        cv2.imwrite(str(path), np.zeros((32, 60, 3), np.uint8))
    elif kind == 'label':
        Image.fromarray(np.zeros((30, 64), np.uint8)).save(path)
    else:
        np.save(path, np.zeros((32, 62, 2), np.float32))
    error = load_error(source_dataset(pair))
    assert isinstance(error, DataFormatError)
    message = str(error)
    assert 'source/train/img/000/000_0000' in message
    if kind != 'frame':
        assert FILES[kind] in message and FRAME in message
    assert any(fix in message for fix in ('Regenerate', 'recompute', 'must have the same size'))


def test_clips_shorter_than_tau_plus_one(pair):
    with pytest.raises(DataFormatError) as err, pytest.warns(UserWarning, match='fewer than tau'):
        source_dataset(pair, tau=10)  # the tiny clips have 10 frames: pairs need 11
    message = str(err.value)
    assert 'tau + 1 = 11' in message and 'source/train/img' in message and 'has 10' in message
    assert "Lower the dataset's tau" in message


def test_clip_without_its_label_directory(pair):
    shutil.rmtree(pair / 'source/train/cls/001')
    with pytest.raises(DataNotFoundError) as err:
        source_dataset(pair)
    message = str(err.value)
    assert 'source/train/cls/001' in message and "['001']" in message and 'Restore' in message


# ----------------------------------------------------------------------------- through the tools
def write_config(tmp_path, data_root, base='configs/source_only/synthetic.py', workers=0, extra=''):
    """A config of the tiny pair (1-2 iterations, no validation) with a unique name."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = tmp_path / f'bad_input_{next(_names)}.py'
    path.write_text(f"""
_base_ = ['{repo}/{base}']
load_from = None
_loader = dict(num_workers={workers}, persistent_workers=False)
train_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    source=dict(data_root='{data_root}'), target=dict(data_root='{data_root}')))
test_dataloader = dict(batch_size=4, **_loader, dataset=dict(data_root='{data_root}'))
train_cfg = dict(max_iters=2, val_interval=1000)
val_dataloader = None
val_cfg = None
val_evaluator = None
default_hooks = dict(logger=dict(interval=1))
{extra}
""")
    return path


def tool_error(tool, *argv) -> str:
    """Run ``tools/<tool>.py argv`` in-process; the message it exits with (no traceback)."""
    with pytest.raises(SystemExit) as err:
        tool.main([str(a) for a in argv])
    message = str(err.value.code)
    assert 'Traceback' not in message, message
    return message


def test_missing_data_root(tmp_path):
    missing = tmp_path / 'no_such_data'
    message = tool_error(train_tool, write_config(tmp_path, missing), '--work-dir', tmp_path / 'w')
    assert message.startswith('Data error:') and str(missing) in message
    assert 'generate_synthetic.py' in message


def test_corrupt_frame_read_by_a_dataloader_worker(tmp_path, pair):
    """The worker's traceback is stripped: the user sees the file and the fix only."""
    for clip in ('000', '001', '002'):
        for frame in pair.glob(f'source/train/img/{clip}/*.png'):
            frame.write_bytes(b'garbage')
    cfg = write_config(tmp_path, pair, workers=1)
    message = tool_error(train_tool, cfg, '--work-dir', tmp_path / 'w')
    assert message.startswith('Data error: frame file could not be decoded: ')
    assert 'source/train/img/' in message and 'regenerate it' in message
    assert 'DataLoader worker' not in message


def test_unknown_type_in_config(tmp_path, pair):
    typo = "model = dict(segmentor=dict(backbone=dict(type='TinyConvNte')))"
    cfg = write_config(tmp_path, pair, extra=typo)
    message = tool_error(train_tool, cfg, '--work-dir', tmp_path / 'w')
    assert message.startswith("Config error: unknown type 'TinyConvNte'")
    assert 'model.segmentor.backbone.type' in message and str(cfg) in message
    assert "Did you mean 'TinyConvNet'" in message and 'custom_imports' in message


@pytest.mark.parametrize('problem', ['missing', 'directory', 'not_a_checkpoint', 'truncated'])
def test_bad_load_from(tmp_path, pair, problem):
    path = tmp_path / 'weights.pth'
    if problem == 'directory':
        path.mkdir()
    elif problem == 'not_a_checkpoint':
        path.write_text('model weights, I promise')
    elif problem == 'truncated':
        torch.save(dict(state_dict=dict(w=torch.ones(1000))), path)
        path.write_bytes(path.read_bytes()[:2000])
    cfg = write_config(tmp_path, pair, extra=f"load_from = '{path}'")
    message = tool_error(train_tool, cfg, '--work-dir', tmp_path / 'w')
    assert message.startswith(f"Checkpoint error: load_from='{path}'")
    expected = dict(missing='does not exist', directory='is a directory',
                    not_a_checkpoint='is not a PyTorch checkpoint', truncated='truncated')[problem]
    assert expected in message and ('.pth' in message or 'earlier checkpoint' in message)


def test_checkpoint_outside_the_allow_list_and_the_opt_out(tmp_path, pair, monkeypatch):
    monkeypatch.setenv(UNSAFE_LOAD_ENV, '0')  # restored after the test: --unsafe-load sets it
    ckpt = tmp_path / 'foreign.pth'
    torch.save(dict(state_dict={}, meta=dict(args=argparse.Namespace(lr=0.1))), ckpt)
    cfg = write_config(tmp_path, pair)
    work = tmp_path / 'w'
    message = tool_error(test_tool, cfg, ckpt, '--work-dir', work)
    assert message.startswith(f"Checkpoint error: Checkpoint '{ckpt}' needs the type argparse.Namespace")
    assert '--unsafe-load' in message and 'trust' in message
    # The documented opt-out for trusted files: the same checkpoint loads and is evaluated (its
    # empty state dict needs the opt-out for partial weights too).
    with pytest.warns(UserWarning, match='arbitrary code'):
        metrics = test_tool.main([str(cfg), str(ckpt), '--work-dir', str(work), '--unsafe-load',
                                  '--allow-partial-weights'])
    assert 'mIoU' in metrics


def test_nan_loss_stops_with_iteration_term_and_hint(tmp_path, pair):
    cfg = write_config(tmp_path, pair, base='configs/adaptsegnet/synthetic.py', extra="""
model = dict(lambda_adv=float('nan'))""")
    work = tmp_path / 'w'
    message = tool_error(train_tool, cfg, '--work-dir', work)
    assert message.startswith('Training stopped: non-finite loss at iteration 1: loss_adv = nan')
    assert 'learning rate' in message and 'clip_grad' in message and '--resume' in message
    assert not list(work.glob('*.pth'))  # the broken step was not saved


def test_nan_loss_hook_checks_loss_terms_only():
    outputs = dict(loss=torch.tensor(float('inf')), loss_seg=torch.tensor(1.0),
                   loss_adv=torch.tensor([0.5, float('nan')]), tgt_labelled=float('nan'))
    assert set(non_finite_terms(outputs)) == {'loss', 'loss_adv'}
    assert non_finite_terms(dict(loss=torch.tensor(2.0), acc=float('nan'))) == {}

    class Runner:
        iter, work_dir = 41, tempfile.gettempdir()

    with pytest.raises(NonFiniteLossError, match=r'iteration 42: loss_adv = nan, loss = inf'):
        NaNLossHook().after_train_iter(Runner(), 41, outputs=outputs)


def test_check_finite_loss_switch(tmp_path, pair):
    """The check stays on in configs that replace custom_hooks, and can be turned off."""
    def hooks(extra):
        cfg = build_train_config(str(write_config(tmp_path, pair, extra=extra)))
        return [h['type'] for h in cfg.custom_hooks]
    assert hooks('') == ['NaNLossHook', 'RNGStateHook']
    assert hooks("custom_hooks = [dict(type='EmptyCacheHook')]") == \
        ['EmptyCacheHook', 'NaNLossHook', 'RNGStateHook']
    assert hooks('check_finite_loss = False') == ['RNGStateHook']


def test_work_dir_without_write_permission(tmp_path, pair, monkeypatch):
    locked = tmp_path / 'locked'
    locked.mkdir()
    locked.chmod(0o555)
    if os.access(locked, os.W_OK):  # root ignores permission bits: refuse the write as the OS would
        def refuse(*args, **kwargs):
            raise PermissionError(13, 'Permission denied', str(locked))
        monkeypatch.setattr(tempfile, 'mkstemp', refuse)
    try:
        message = tool_error(train_tool, write_config(tmp_path, pair), '--work-dir', locked / 'run')
    finally:
        locked.chmod(0o755)
    assert message.startswith('Work dir error: cannot write into') and str(locked / 'run') in message
    assert 'Permission denied' in message and '--work-dir' in message
    # A work dir whose parent is a file is refused the same way.
    afile = tmp_path / 'a_file'
    afile.write_text('')
    message = tool_error(train_tool, write_config(tmp_path, pair), '--work-dir', afile / 'run')
    assert message.startswith('Work dir error') and str(afile / 'run') in message


def test_benchmark_spec_with_a_cyclic_dependency(tmp_path):
    from tools import benchmark
    spec = tmp_path / 'spec.py'
    spec.write_text(f"""
work_dir = '{tmp_path}/bench'
rows = [dict(name='VAT', config='a.py', depends='VST'), dict(name='VST', config='b.py', depends='VAT')]
""")
    with pytest.raises(SystemExit, match='spec.py: benchmark spec has a cyclic dependency: VAT -> VST'):
        benchmark.main([str(spec)])
