"""End to end through the real tools: train a few iterations, save, resume, evaluate."""
import json
import subprocess
import sys

import pytest
import torch


def _write_config(path, repo_root, data_root, max_iters):
    path.write_text(f"""
_base_ = ['{repo_root}/configs/source_only/synthetic.py']
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    source=dict(data_root='{data_root}'), target=dict(data_root='{data_root}')))
val_dataloader = dict(batch_size=4, **_loader, dataset=dict(data_root='{data_root}'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval={max_iters})
param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end={max_iters}, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=5), logger=dict(interval=1))
""")


def _run(args, cwd):
    proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_train_resume_test(tmp_path, repo_root, tiny_pair):
    cfg = tmp_path / 'tiny_source_only.py'
    work = tmp_path / 'work'
    _write_config(cfg, repo_root, tiny_pair, max_iters=4)
    _run(['tools/train.py', str(cfg), '--work-dir', str(work)], repo_root)
    assert (work / 'iter_2.pth').is_file() and (work / 'iter_4.pth').is_file()

    # Resume: a longer schedule continues from iter_4 (optimizer, scheduler, message hub).
    _write_config(cfg, repo_root, tiny_pair, max_iters=6)
    log = _run(['tools/train.py', str(cfg), '--work-dir', str(work), '--resume'], repo_root)
    assert 'resumed epoch: 0, iter: 4' in log
    ckpt = torch.load(work / 'iter_6.pth', map_location='cpu')  # weights_only=True default
    assert ckpt['meta']['iter'] == 6
    assert 'state' in ckpt['optimizer'] and len(ckpt['optimizer']['state']) > 0
    assert ckpt['param_schedulers'][0]['_global_step'] == 6  # the scheduler resumed too

    out = tmp_path / 'metrics.json'
    log = _run(['tools/test.py', str(cfg), str(work / 'iter_6.pth'), '--work-dir', str(work),
                '--out', str(out)], repo_root)
    record = json.loads(out.read_text())
    metrics = record['metrics']
    for key in ('mIoU', 'VPQ', 'VPQ_k0', 'VPQ_k5', 'VPQ_k10', 'VPQ_k15', 'IoU.road'):
        assert key in metrics, key
    assert 0.0 <= metrics['mIoU'] <= 100.0
    assert 'mIoU' in log and 'VPQ' in log  # the tables are printed


def test_missing_checkpoint_is_a_clear_error(tmp_path, repo_root, tiny_pair):
    cfg = tmp_path / 'cfg.py'
    _write_config(cfg, repo_root, tiny_pair, max_iters=2)
    proc = subprocess.run([sys.executable, 'tools/test.py', str(cfg), str(tmp_path / 'nope.pth')],
                          cwd=repo_root, capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'nope.pth' in proc.stderr and 'does not exist' in proc.stderr


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_tools_show_help(repo_root, tool):
    proc = subprocess.run([sys.executable, f'tools/{tool}', '--help'], cwd=repo_root,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and '--cfg-options' in proc.stdout
