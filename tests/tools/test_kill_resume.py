"""Kill and resume through tools/train.py: a run SIGKILLed mid-training (mid-iteration, while saving a
checkpoint, during a pseudo-label round) and restarted with --resume ends with exactly the weights,
optimizer and scheduler states and metrics of an uninterrupted run."""
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import numpy as np
import torch

from uda_toolbox.apis import build_train_config
from uda_toolbox.engine.hooks import RNGStateHook

MAX_ITERS = 10


def _write_config(path, base, data_root, workers, extra=''):
    # Logger every iteration: the kill is timed on its lines. Checkpoints every 2 iterations.
    path.write_text(f"""
_base_ = ['{base}']
load_from = None
_loader = dict(num_workers={workers}, persistent_workers={workers > 0})
train_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    source=dict(data_root='{data_root}'), target=dict(data_root='{data_root}')))
val_dataloader = dict(batch_size=4, **_loader, dataset=dict(data_root='{data_root}'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={MAX_ITERS}, val_interval={MAX_ITERS})
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=10), logger=dict(interval=1))
{extra}
""")


def _command(cfg, work, *options):
    return [sys.executable, 'tools/train.py', str(cfg), '--work-dir', str(work), *options]


def _env():
    # Unbuffered: the kill is timed on log lines read from the pipe as they are printed.
    return dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')


def _train(cfg, work, repo_root, *options) -> str:
    proc = subprocess.run(_command(cfg, work, *options), cwd=repo_root, env=_env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _train_and_kill(cfg, work, repo_root, kill_when) -> str:
    """Start a run and SIGKILL it as soon as ``kill_when(log_so_far)`` is true; returns the log."""
    proc = subprocess.Popen(_command(cfg, work), cwd=repo_root, env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        while not kill_when(''.join(lines)):
            assert proc.poll() is None, 'the run ended before it was killed:\n' + ''.join(lines)[-3000:]
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    reader.join(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    return ''.join(lines)


def _val_metrics(log: str) -> dict:
    """The final validation's metrics as printed (mIoU, per-class IoU, VPQ...), without timings."""
    lines = [line for line in log.splitlines() if 'Iter(val)' in line and 'mIoU' in line]
    assert lines, log[-3000:]
    pairs = re.findall(r'([\w. ]+?): (\S+)', lines[-1].split('Iter(val) [1/1]')[1])
    metrics = {key.strip(): value for key, value in pairs if 'time' not in key}
    assert 'mIoU' in metrics and 'VPQ' in metrics, metrics
    return metrics


def _assert_same_checkpoints(a, b):
    """Every tensor of the weights, both optimizers and the schedulers is exactly equal."""
    assert a['meta']['iter'] == b['meta']['iter'] == MAX_ITERS
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    assert a['optimizer'].keys() == b['optimizer'].keys()

    def flat(obj, prefix=''):
        if isinstance(obj, dict):
            for key, value in obj.items():
                yield from flat(value, f'{prefix}.{key}')
        elif isinstance(obj, (list, tuple)):
            for k, value in enumerate(obj):
                yield from flat(value, f'{prefix}[{k}]')
        else:
            yield prefix, obj

    for part in ('optimizer', 'param_schedulers'):
        flat_a, flat_b = dict(flat(a[part])), dict(flat(b[part]))
        assert flat_a.keys() == flat_b.keys(), part
        for key, value in flat_a.items():
            other = flat_b[key]
            same = torch.equal(value, other) if torch.is_tensor(value) else value == other
            assert same, (part, key, value, other)


def test_adversarial_kill_at_random_iteration_then_resume(tmp_path, repo_root, tiny_pair):
    """AdaptSegNet (two optimizers, two schedules, a discriminator), the configs' dataloader worker."""
    cfg = tmp_path / 'adaptsegnet.py'
    _write_config(cfg, repo_root / 'configs/adaptsegnet/synthetic.py', tiny_pair, workers=1,
                  extra=f"""param_scheduler = dict(
    segmentor=[dict(type='PolyLR', power=0.9, begin=0, end={MAX_ITERS}, by_epoch=False)],
    discriminator=[dict(type='PolyLR', power=0.9, begin=0, end={MAX_ITERS}, by_epoch=False)])""")
    full = _train(cfg, tmp_path / 'full', repo_root)
    # The log names every loss term and the learning rate of each optimizer.
    line = next(line for line in full.splitlines() if f'Iter(train) [ 1/{MAX_ITERS}]' in line)
    for key in ('segmentor.lr:', 'discriminator.lr:', 'loss_seg_src:', 'loss_adv:', 'loss_disc:'):
        assert key in line, (key, line)

    # Killed right after the log line of a random iteration after the first checkpoint: an even
    # one lands in the checkpoint hook (it runs after the logger), an odd one in the next iteration.
    seed = random.randrange(1000)
    kill_at = random.Random(seed).randint(3, MAX_ITERS - 2)
    work = tmp_path / 'killed'
    _train_and_kill(cfg, work, repo_root,
                    lambda log: re.search(rf'Iter\(train\) \[ ?{kill_at}/{MAX_ITERS}\]', log))
    assert not any(name.endswith('.tmp') or '.tmp.' in name for name in os.listdir(work))
    log = _train(cfg, work, repo_root, '--resume')
    resumed_at = int(re.search(r'resumed epoch: 0, iter: (\d+)', log).group(1))
    assert 2 <= resumed_at <= kill_at, (seed, kill_at, resumed_at)

    a = torch.load(tmp_path / 'full' / f'iter_{MAX_ITERS}.pth', map_location='cpu')
    b = torch.load(work / f'iter_{MAX_ITERS}.pth', map_location='cpu')
    assert set(a['optimizer']) == {'segmentor', 'discriminator'}
    assert set(a['param_schedulers']) == {'segmentor', 'discriminator'}
    assert any(key.startswith('discriminator.') for key in a['state_dict'])
    _assert_same_checkpoints(a, b)
    assert _val_metrics(log) == _val_metrics(full), (seed, kill_at)


def test_self_training_kill_during_pseudo_label_round_then_resume(tmp_path, repo_root, tiny_pair):
    """IAST with rounds before iterations 1, 5 and 9, killed while round 1 is being written."""
    # num_workers=0: with workers, the batches they prefetched while a round was generated carry
    # the previous round's labels, so a run resumed right at a round differs (docs/troubleshooting.md).
    cfg = tmp_path / 'iast.py'
    _write_config(cfg, repo_root / 'configs/iast/synthetic.py', tiny_pair, workers=0, extra=f"""
param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end={MAX_ITERS}, by_epoch=False)]
pseudo_labels = dict(
    _delete_=True, interval=4, instance=1, progress=False,
    # The randomly initialised model is far from IAST's theta_0 = 0.9 confidence.
    policy=dict(type='InstanceAdaptivePolicy', alpha=0.2, beta=0.9, gamma=8.0, init_threshold=0.01))
""")
    full = _train(cfg, tmp_path / 'full', repo_root)
    line = next(line for line in full.splitlines() if f'Iter(train) [ 1/{MAX_ITERS}]' in line)
    assert ' lr: ' in line and 'loss_seg_tgt:' in line and 'loss_reg_kld:' in line, line

    work = tmp_path / 'killed'
    labels = work / 'pseudo_labels'
    _train_and_kill(cfg, work, repo_root, lambda log: (labels / 'round_1.tmp').is_dir())
    assert not (labels / 'round_1').exists()  # the half-written round was never published
    log = _train(cfg, work, repo_root, '--resume')
    assert 'resumed epoch: 0, iter: 2' in log  # iter_4 is saved after round 1

    a = torch.load(tmp_path / 'full' / f'iter_{MAX_ITERS}.pth', map_location='cpu')
    b = torch.load(work / f'iter_{MAX_ITERS}.pth', map_location='cpu')
    _assert_same_checkpoints(a, b)
    state_a, state_b = a['pseudo_labels'], b['pseudo_labels']
    assert state_a['rounds_done'] == state_b['rounds_done'] == 3
    assert [h['iteration'] for h in state_b['history']] == [0, 4, 8]
    assert state_a['policy'] == state_b['policy']  # IAST's EMA thresholds
    assert sorted(os.listdir(labels)) == ['CURRENT', 'round_0', 'round_1', 'round_2']
    for name in ('round_1', 'round_2'):
        files = sorted(p.relative_to(labels / name) for p in (labels / name).rglob('*.png'))
        assert files, name
        for rel in files:
            assert (labels / name / rel).read_bytes() == \
                (tmp_path / 'full/pseudo_labels' / name / rel).read_bytes(), (name, rel)
    assert _val_metrics(log) == _val_metrics(full)


def _draws():
    return torch.rand(3), np.random.rand(3), random.random()


def test_rng_states_survive_a_checkpoint(tmp_path):
    """RNGStateHook: what the model would draw after the checkpoint is drawn again after resume."""
    hook = RNGStateHook()
    torch.manual_seed(1), np.random.seed(1), random.seed(1)
    checkpoint = {}
    hook.before_save_checkpoint(None, checkpoint)
    expected = _draws()
    torch.save(checkpoint, tmp_path / 'ckpt.pth')
    loaded = torch.load(tmp_path / 'ckpt.pth', weights_only=True)  # plain types and tensors only

    def resume(num_workers, at_iter=4):
        torch.manual_seed(2), np.random.seed(2), random.seed(2)  # what a new process would do
        hook.after_load_checkpoint(None, loaded)
        loop = SimpleNamespace(dataloader=SimpleNamespace(num_workers=num_workers))
        hook.before_train_iter(SimpleNamespace(iter=at_iter, train_loop=loop), at_iter)
        return _draws()

    got = resume(num_workers=1)
    assert torch.equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])
    assert got[2] == expected[2]
    # Without workers the data pipeline draws numpy/random in this process and the dataloader
    # replay has already advanced them: only torch's generator is restored.
    got = resume(num_workers=0)
    assert torch.equal(got[0], expected[0]) and not np.array_equal(got[1], expected[1])
    # load_from (a new run from another run's weights) starts at iteration 0: nothing restored.
    assert not torch.equal(resume(num_workers=1, at_iter=0)[0], expected[0])


def test_resume_survives_a_broken_last_checkpoint_pointer(tmp_path, repo_root):
    """mmengine writes last_checkpoint in place: a kill can leave the pointer empty or naming a
    deleted file. --resume does not trust it: it takes the newest checkpoint that verifies."""
    work = tmp_path / 'run'
    work.mkdir()
    for step in (2, 4, 10):
        torch.save(dict(meta=dict(iter=step)), work / f'iter_{step}.pth')

    def resumes_from():
        cfg = build_train_config(str(repo_root / 'configs/source_only/synthetic.py'), str(work),
                                 resume=True)
        assert cfg.resume is True
        return cfg.load_from

    (work / 'last_checkpoint').write_text(str(work / 'iter_4.pth'))  # killed before updating it
    assert resumes_from() == str(work / 'iter_10.pth')
    (work / 'last_checkpoint').write_text('')  # killed while writing the pointer
    assert resumes_from() == str(work / 'iter_10.pth')
    (work / 'last_checkpoint').write_text(str(work / 'iter_12.pth'))  # deleted, or never written
    assert resumes_from() == str(work / 'iter_10.pth')
