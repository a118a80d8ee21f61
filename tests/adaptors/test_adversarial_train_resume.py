"""Adversarial training end to end through tools/train.py: both optimizers and both schedules are
saved and restored by --resume; AdaBN then starts from that checkpoint through load_from."""
import os
import subprocess
import sys

import torch


def _write_config(path, base, data_root, max_iters, extra=''):
    path.write_text(f"""
_base_ = ['{base}']
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    source=dict(data_root='{data_root}'), target=dict(data_root='{data_root}')))
# No validation: tests/tools covers evaluation; this test is about the training state.
val_dataloader = None
val_cfg = None
val_evaluator = None
train_cfg = dict(max_iters={max_iters}, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=5), logger=dict(interval=1))
{extra}
""")


def _train(cfg, work, repo_root, *options):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, 'tools/train.py', str(cfg), '--work-dir', str(work),
                           *options], cwd=repo_root, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _adam_steps(optimizer_state):
    return {int(s['step']) for s in optimizer_state['state'].values()}


def test_resume_restores_both_optimizers_then_adabn_loads_it(tmp_path, repo_root, tiny_pair):
    cfg, work = tmp_path / 'vat.py', tmp_path / 'vat'
    schedules = """
param_scheduler = dict(
    segmentor=[dict(type='PolyLR', power=0.9, begin=0, end={n}, by_epoch=False)],
    discriminator=[dict(type='PolyLR', power=0.9, begin=0, end={n}, by_epoch=False)])"""
    base = repo_root / 'configs/vat/synthetic.py'
    _write_config(cfg, base, tiny_pair, 2, schedules.format(n=2))
    _train(cfg, work, repo_root)
    first = torch.load(work / 'iter_2.pth', map_location='cpu')
    assert set(first['optimizer']) == {'segmentor', 'discriminator'}

    _write_config(cfg, base, tiny_pair, 4, schedules.format(n=4))
    log = _train(cfg, work, repo_root, '--resume')
    assert 'resumed epoch: 0, iter: 2' in log
    ckpt = torch.load(work / 'iter_4.pth', map_location='cpu')
    # Adam's step counters went on from 2: both optimizer states were restored, not rebuilt.
    for name in ('segmentor', 'discriminator'):
        assert _adam_steps(ckpt['optimizer'][name]) == {4}, name
        # A scheduler rebuilt from the config would count 2; the restored one counts on to 4.
        assert ckpt['param_schedulers'][name][0]['_global_step'] == 4
    assert any(k.startswith('discriminator.main.first') for k in ckpt['state_dict'])

    # AdaBN from that checkpoint: weights kept, BatchNorm statistics re-estimated (2 batches).
    adabn_cfg, adabn_work = tmp_path / 'adabn.py', tmp_path / 'adabn'
    _write_config(adabn_cfg, repo_root / 'configs/adabn/synthetic.py', tiny_pair, 2)
    _train(adabn_cfg, adabn_work, repo_root, '--cfg-options', f'load_from={work / "iter_4.pth"}')
    adapted = torch.load(adabn_work / 'iter_2.pth', map_location='cpu')['state_dict']
    bn = 'segmentor.backbone.layers.0.bn'
    assert bool(adapted['bn_restarted']) and int(adapted[f'{bn}.num_batches_tracked']) == 2
    assert torch.equal(adapted[f'{bn}.weight'], ckpt['state_dict'][f'{bn}.weight'])
    assert not torch.allclose(adapted[f'{bn}.running_mean'], ckpt['state_dict'][f'{bn}.running_mean'])
