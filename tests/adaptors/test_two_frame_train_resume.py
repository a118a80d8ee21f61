"""DA-VSN and TPS end to end through tools/train.py on the tiny pair: training with flow, validation
with the previous frame and flow, and --resume from a checkpoint that ends exactly like the
uninterrupted run (weights, optimizers, schedulers, the RNG-driven augmentations of TPS)."""
import os
import re
import shutil
import subprocess
import sys

import pytest
import torch

MAX_ITERS = 4


def _write_config(path, base, data_root):
    path.write_text(f"""
_base_ = ['{base}']
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    source=dict(data_root='{data_root}'), target=dict(data_root='{data_root}')))
val_dataloader = dict(batch_size=4, **_loader, dataset=dict(data_root='{data_root}'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={MAX_ITERS}, val_interval={MAX_ITERS})
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=5), logger=dict(interval=1))
""")


def _train(cfg, work, repo_root, *options):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, 'tools/train.py', str(cfg), '--work-dir', str(work),
                           *options], cwd=repo_root, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _val_line(log):
    lines = [line for line in log.splitlines() if 'Iter(val)' in line and 'mIoU' in line]
    assert lines, log[-3000:]
    return re.sub(r'\s+(data_)?time: \S+', '', lines[-1].split('Iter(val) [1/1]')[1])


def _flat(obj, prefix=''):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _flat(value, f'{prefix}.{key}')
    elif isinstance(obj, (list, tuple)):
        for k, value in enumerate(obj):
            yield from _flat(value, f'{prefix}[{k}]')
    else:
        yield prefix, obj


@pytest.mark.parametrize('method, losses', [
    ('da_vsn', ('loss_seg_src_aux:', 'loss_itcr:', 'loss_adv_sta:', 'loss_adv_sa:', 'loss_wd:')),
    ('tps', ('loss_seg_src_aux:', 'loss_tps:', 'loss_tps_aux:')),
])
def test_trains_validates_and_resumes_exactly(tmp_path, repo_root, tiny_pair, method, losses):
    cfg = tmp_path / f'{method}.py'
    _write_config(cfg, repo_root / f'configs/{method}/synthetic.py', tiny_pair)
    full = _train(cfg, tmp_path / 'full', repo_root)
    line = next(line for line in full.splitlines() if f'Iter(train) [1/{MAX_ITERS}]' in line)
    for key in losses:
        assert key in line, (key, line)

    # Resume from iteration 2 in a fresh work dir.
    work = tmp_path / 'resumed'
    work.mkdir()
    shutil.copy(tmp_path / 'full' / 'iter_2.pth', work / 'iter_2.pth')
    (work / 'last_checkpoint').write_text(str(work / 'iter_2.pth'))
    log = _train(cfg, work, repo_root, '--resume')
    assert 'resumed epoch: 0, iter: 2' in log

    a = torch.load(tmp_path / 'full' / f'iter_{MAX_ITERS}.pth', map_location='cpu')
    b = torch.load(work / f'iter_{MAX_ITERS}.pth', map_location='cpu')
    assert a['state_dict'].keys() == b['state_dict'].keys()
    assert any(k.startswith('segmentor.fusion.') for k in a['state_dict'])
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    # the fusion has left its [I | 0] start
    fusion = a['state_dict']['segmentor.fusion.weight']
    c = fusion.shape[0]
    assert not torch.equal(fusion[:, :c, 0, 0], torch.eye(c))
    for part in ('optimizer', 'param_schedulers'):
        flat_a, flat_b = dict(_flat(a[part])), dict(_flat(b[part]))
        assert flat_a.keys() == flat_b.keys(), part
        for key, value in flat_a.items():
            same = torch.equal(value, flat_b[key]) if torch.is_tensor(value) else value == flat_b[key]
            assert same, (part, key)
    assert _val_line(log) == _val_line(full)
