"""PseudoLabelHook and the self-training adaptors end to end (in-process mmengine Runner, tiny pair):
rounds at start and every interval, state in checkpoints, resume after a crash mid-round."""
import itertools
import json

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from uda_toolbox.apis import build_runner, build_train_config
from uda_toolbox.utils.rounds import read_current

_counter = itertools.count()


@pytest.fixture(autouse=True)
def cheap_config_text(monkeypatch):
    """mmengine formats the config with yapf (seconds per call, 5 calls per run: logging, dump,
    visualizer, checkpoint meta); these tests do not read that text."""
    monkeypatch.setattr(Config, 'pretty_text', property(lambda self: repr(self.to_dict())))


def tiny_config(repo_root, config, data_root, work_dir, max_iters=2, interval=1) -> Config:
    """A repo config shrunk to the tiny pair: no initial weights, no validation, 2 iterations."""
    cfg = Config.fromfile(str(repo_root / config))
    cfg.work_dir = str(work_dir)
    cfg.load_from = None
    cfg.experiment_name = f'st_test_{next(_counter)}'  # one logger / visualizer per runner
    cfg.visualizer.name = cfg.experiment_name
    loader = cfg.train_dataloader
    loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    loader.dataset.source.data_root = str(data_root)
    loader.dataset.target.data_root = str(data_root)
    loader.dataset.target.pseudo_label_dir = str(work_dir / 'pseudo_labels')
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
    cfg.param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=max_iters, by_epoch=False)]
    cfg.default_hooks.checkpoint.update(interval=2, max_keep_ckpts=5)
    cfg.default_hooks.logger.interval = 1
    hook = cfg.pseudo_labels
    hook.update(interval=interval, progress=False)
    if 'init_threshold' in hook.policy:
        # The randomly initialised model is far from IAST's theta_0 = 0.9 confidence.
        hook.policy.init_threshold = 0.01
    hook.label_dataset.data_root = str(data_root)
    return cfg


def train(cfg: Config, resume: bool = False) -> Runner:
    cfg = cfg.copy()
    cfg.resume = resume
    runner = build_runner(cfg)
    runner.train()
    return runner


@pytest.mark.parametrize('config', [
    'configs/cbst/synthetic.py', 'configs/crst/synthetic.py', 'configs/iast/synthetic.py',
    'configs/vst/synthetic.py'])
def test_adaptor_trains_with_rounds(tmp_path, repo_root, tiny_pair, config):
    work = tmp_path / 'work'
    runner = train(tiny_config(repo_root, config, tiny_pair, work))
    # Round 0 before iteration 1, round 1 after it; none after the last iteration.
    assert read_current(str(work / 'pseudo_labels')) == 'round_1'
    assert sorted(p.name for p in (work / 'pseudo_labels').iterdir()) == \
        ['CURRENT', 'round_0', 'round_1']
    stats = json.loads((work / 'pseudo_labels/round_1/stats.json').read_text())
    assert stats['frames'] == 30 and 0 < stats['proportion'] <= 1 and stats['gt_frames'] == 6
    hub = runner.message_hub
    assert hub.get_scalar('train/pl_proportion').current() == pytest.approx(stats['proportion'])
    assert 'train/pl_miou' in hub.log_scalars
    loss_t = hub.get_scalar('train/loss_seg_tgt').current()
    assert loss_t > 0 and torch.isfinite(torch.tensor(loss_t))  # trained on pseudo labels
    assert hub.get_scalar('train/tgt_labelled').current() > 0
    ckpt = torch.load(work / 'iter_2.pth', map_location='cpu')  # weights_only=True default
    state = ckpt['pseudo_labels']
    assert state['rounds_done'] == 2 and [h['iteration'] for h in state['history']] == [0, 1]


def test_resume_after_crash_mid_round(tmp_path, repo_root, tiny_pair):
    work = tmp_path / 'work'
    cfg = tiny_config(repo_root, 'configs/iast/synthetic.py', tiny_pair, work, max_iters=2)
    train(cfg)
    saved = torch.load(work / 'iter_2.pth', map_location='cpu')['pseudo_labels']
    assert saved['policy']['theta'] is not None  # IAST's EMA thresholds are in the checkpoint

    # Simulate a kill while round 2 was being written, after a stray later round was published.
    labels = work / 'pseudo_labels'
    partial = labels / 'round_2.tmp' / '000'
    partial.mkdir(parents=True)
    (partial / '000_00000.png').write_bytes(b'\x89PNG half')
    (labels / 'round_3').mkdir()
    (labels / 'CURRENT').write_text('round_3\n')

    cfg = tiny_config(repo_root, 'configs/iast/synthetic.py', tiny_pair, work, max_iters=4)
    runner = train(cfg, resume=True)
    assert runner.iter == 4
    ckpt = torch.load(work / 'iter_4.pth', map_location='cpu')['pseudo_labels']
    # The resumed run dropped the stray round and the partial one and regenerated round 2 after
    # iteration 3 (none after the last iteration).
    assert ckpt['rounds_done'] == 3
    history = ckpt['history']
    assert [h['iteration'] for h in history] == [0, 1, 3]
    # Round 2 (the interrupted one) started from exactly the state the checkpoint saved.
    assert history[2]['round'] == 2 and history[2]['policy_before'] == saved['policy']
    assert read_current(str(labels)) == 'round_2'
    assert not (labels / 'round_2.tmp').exists() and not (labels / 'round_3').exists()
    assert json.loads((labels / 'round_2' / 'stats.json').read_text())['frames'] == 30


def test_train_tool_work_dir_token_and_resume_with_load_from(tmp_path, repo_root):
    work = tmp_path / 'run'
    config = str(repo_root / 'configs/vst/synthetic.py')
    cfg = build_train_config(config, str(work), resume=True)
    assert cfg.train_dataloader.dataset.target.pseudo_label_dir == f'{work}/pseudo_labels'
    # load_from = initial weights: no checkpoint of this run yet -> a fresh start from them (the
    # VAT run's latest checkpoint, resolved when the run starts).
    assert cfg.resume is False and cfg.load_from == 'configs/vat/synthetic.py'
    work.mkdir()
    torch.save(dict(meta=dict(iter=2)), work / 'iter_2.pth')
    (work / 'last_checkpoint').write_text(str(work / 'iter_2.pth'))
    # This run has a checkpoint: resume from it, not load_from.
    cfg = build_train_config(config, str(work), resume=True)
    assert cfg.resume is True and cfg.load_from == str(work / 'iter_2.pth')


def test_resume_regenerates_a_damaged_round_from_the_state_before_it(tmp_path, repo_root,
                                                                     tiny_pair):
    """A round published with empty label files (a full disk where the writer reported success)
    is detected on resume and regenerated from the policy state saved before it: the same labels
    as the original round, and the same final weights as an uninterrupted run."""
    work = tmp_path / 'work'
    cfg = tiny_config(repo_root, 'configs/iast/synthetic.py', tiny_pair, work, max_iters=4,
                      interval=2)  # rounds before iteration 1 and after 2; checkpoints at 2, 4
    train(cfg)
    labels = work / 'pseudo_labels'
    original = {p.relative_to(labels): p.read_bytes() for p in (labels / 'round_1').rglob('*.png')}
    full = torch.load(work / 'iter_4.pth', map_location='cpu')
    saved = torch.load(work / 'iter_2.pth', map_location='cpu')['pseudo_labels']
    assert saved['rounds_done'] == 2

    # Back to iteration 2, with every label of round 1 emptied.
    (work / 'iter_4.pth').unlink()
    (work / 'last_checkpoint').write_text(str(work / 'iter_2.pth'))
    for rel in original:
        (labels / rel).write_bytes(b'')
    with pytest.warns(UserWarning, match='round_1 .*has 30 empty, cut-off or missing label files'):
        train(tiny_config(repo_root, 'configs/iast/synthetic.py', tiny_pair, work, max_iters=4,
                          interval=2), resume=True)
    assert read_current(str(labels)) == 'round_1'
    assert {p.relative_to(labels): p.read_bytes() for p in (labels / 'round_1').rglob('*.png')} \
        == original
    resumed = torch.load(work / 'iter_4.pth', map_location='cpu')
    state = resumed['pseudo_labels']
    assert state['rounds_done'] == 2 and [h['iteration'] for h in state['history']] == [0, 2]
    assert state['history'][1]['policy_before'] == saved['history'][1]['policy_before']
    assert state['policy'] == saved['policy']  # the regenerated round moved it as the original
    for key, value in full['state_dict'].items():
        assert torch.equal(value, resumed['state_dict'][key]), key
