"""One knob for the length of a run (uda_toolbox.apis.schedule): ``train_cfg.max_iters`` scales every
iteration count of a schedule, and a dependent run takes its dependency's latest checkpoint."""
import json
import math
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from tools import train as train_tool
from uda_toolbox.apis import build_train_config, resolve_load_from, set_max_iters
from uda_toolbox.apis.schedule import scale_iterations
from uda_toolbox.utils.checkpoint import CheckpointError


def _cfg(repo_root, config, tmp_path, **options):
    return build_train_config(str(repo_root / config), str(tmp_path / 'w'), cfg_options=options)


def test_rounding_keeps_counts_and_equal_values_equal():
    assert [scale_iterations(v, 400, 40) for v in (0, 1, 4, 5, 50, 100, 399, 400)] == [
        0, 1, 1, 1, 5, 10, 40, 40]
    assert scale_iterations(6000, 42000, 40) == 6  # 5.71 -> 6
    assert scale_iterations(10000, 30000, 40) == 13  # 13.3 -> 13


def test_iast_rounds_restarts_and_checkpoints_stay_aligned(repo_root, tmp_path):
    cfg = _cfg(repo_root, 'configs/iast/viper2cityscapes.py', tmp_path, **{'train_cfg.max_iters': 40})
    (sched,) = cfg.param_scheduler
    assert (sched.begin, sched.end) == (0, 40)
    # Three LR periods that still span the run; the first two equal the pseudo-label interval, as
    # in the file (10000 each of 30000), so every round starts with a restart.
    assert sched.periods == [13, 13, 14] and sum(sched.periods) == 40
    assert cfg.pseudo_labels.interval == cfg.train_cfg.val_interval == 13
    assert cfg.default_hooks.checkpoint.interval == 13
    assert cfg.default_hooks.logger.interval == 1  # 50 of 30000 -> 0.07 -> at least 1
    assert cfg.train_cfg.max_iters == cfg.max_iters == 40


def test_cbst_keeps_its_seven_rounds(repo_root, tmp_path):
    cfg = _cfg(repo_root, 'configs/cbst/viper2cityscapes.py', tmp_path, max_iters=40)  # shortcut
    interval = cfg.pseudo_labels.interval
    # A round before iteration 1, then after every interval except at the end: ceil(L / interval).
    assert interval == 6 and math.ceil(40 / interval) == math.ceil(42000 / 6000) == 7


def test_adversarial_schedules_of_both_optimizers_and_explicit_values_win(repo_root, tmp_path):
    cfg = _cfg(repo_root, 'configs/vat/synthetic.py', tmp_path,
               **{'train_cfg.max_iters': 40, 'default_hooks.checkpoint.interval': 10})
    for name in ('segmentor', 'discriminator'):
        assert cfg.param_scheduler[name][0].end == 40
    assert cfg.default_hooks.logger.interval == 13  # 50 of 160 -> 12.5 -> 13
    assert cfg.default_hooks.checkpoint.interval == 10  # given explicitly: not scaled
    # Longer runs keep the log interval (it is for reading, not part of the schedule).
    longer = _cfg(repo_root, 'configs/vat/synthetic.py', tmp_path, max_iters=4000)
    assert longer.default_hooks.logger.interval == 50
    assert longer.param_scheduler['segmentor'][0].end == 4000


def test_bad_lengths_are_errors(repo_root, tmp_path):
    with pytest.raises(ValueError, match='two run lengths'):
        _cfg(repo_root, 'configs/vat/synthetic.py', tmp_path,
             **{'max_iters': 40, 'train_cfg.max_iters': 50})
    cfg = Config(dict(train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=2)))
    with pytest.raises(ValueError, match='iteration-based'):
        set_max_iters(cfg, 40)
    cfg = Config(dict(train_cfg=dict(max_iters=100), schedule_keys=['model.warmup_iters']))
    with pytest.raises(ValueError, match='model.warmup_iters'):
        set_max_iters(cfg, 10)
    cfg = Config(dict(train_cfg=dict(max_iters=100), schedule_keys=['model.warmup_iters'],
                      model=dict(warmup_iters=30)))
    assert set_max_iters(cfg, 10) == [('train_cfg.max_iters', 100, 10),
                                      ('model.warmup_iters', 30, 3)]


def test_schedule_scale_shortens_each_config_by_its_own_length(repo_root, tmp_path):
    """schedule_scale=F: every config's schedule times F, whatever its length (a warm-up and the
    self-training after it alike), so one option shortens a whole benchmark."""
    warmup = _cfg(repo_root, 'configs/vat/synthetic.py', tmp_path, schedule_scale=0.5)
    full = _cfg(repo_root, 'configs/vat/synthetic.py', tmp_path)
    assert warmup.train_cfg.max_iters == full.train_cfg.max_iters // 2
    for name in ('segmentor', 'discriminator'):
        assert warmup.param_scheduler[name][0].end == full.param_scheduler[name][0].end // 2
    assert 'schedule scaled to' in warmup.schedule_scaled
    self_training = _cfg(repo_root, 'configs/cbst/synthetic.py', tmp_path, schedule_scale=0.5)
    unscaled = _cfg(repo_root, 'configs/cbst/synthetic.py', tmp_path)
    assert self_training.train_cfg.max_iters == unscaled.train_cfg.max_iters // 2
    assert self_training.pseudo_labels.interval == unscaled.pseudo_labels.interval // 2
    # The same as asking for that length directly (decimal factors are exact: 0.3 x 80 = 24).
    asked = 3 * unscaled.train_cfg.max_iters // 10
    assert _cfg(repo_root, 'configs/cbst/synthetic.py', tmp_path, schedule_scale=0.3
                ).pseudo_labels.interval == _cfg(repo_root, 'configs/cbst/synthetic.py', tmp_path,
                                                 max_iters=asked).pseudo_labels.interval
    longer = _cfg(repo_root, 'configs/source_only/synthetic.py', tmp_path, schedule_scale=2)
    assert longer.train_cfg.max_iters == 2 * full.train_cfg.max_iters


def test_bad_schedule_scales_are_errors(repo_root, tmp_path):
    with pytest.raises(ValueError, match='give one'):
        _cfg(repo_root, 'configs/vat/synthetic.py', tmp_path, max_iters=40, schedule_scale=0.5)
    for bad in (0, -1, 'half', True):
        with pytest.raises(ValueError, match='schedule_scale must be a number > 0'):
            _cfg(repo_root, 'configs/vat/synthetic.py', tmp_path, schedule_scale=bad)


def test_load_from_names_a_config_or_a_work_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError, match=r'work_dirs/source_only_synthetic.*no checkpoint yet.*'
                                              r'tools/train.py configs/source_only/synthetic.py'):
        resolve_load_from('configs/source_only/synthetic.py')
    work = tmp_path / 'work_dirs' / 'source_only_synthetic'
    work.mkdir(parents=True)
    for n in (4, 40):
        torch.save(dict(state_dict=dict(w=torch.zeros(1))), work / f'iter_{n}.pth')
    (work / 'iter_50.pth').write_bytes(b'')  # a newer, damaged one is skipped (with a warning)
    with pytest.warns(UserWarning, match='iter_50.pth'):
        found = resolve_load_from('configs/source_only/synthetic.py')
    assert found == 'work_dirs/source_only_synthetic/iter_40.pth'
    (work / 'iter_50.pth').unlink()
    assert resolve_load_from(str(work)) == str(work / 'iter_40.pth')
    assert resolve_load_from('a/file.pth') == 'a/file.pth'  # files are checked later
    (tmp_path / 'empty').mkdir()
    with pytest.raises(CheckpointError, match='is a directory without checkpoints'):
        resolve_load_from(str(tmp_path / 'empty'))


def _tiny(path: Path, base: str, repo_root, data_root, extra: str = '') -> Path:
    path.write_text(f"""
_base_ = ['{repo_root}/{base}']
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    source=dict(data_root='{data_root}'), target=dict(data_root='{data_root}')))
val_dataloader = None
val_cfg = None
val_evaluator = None
# mmengine keeps one visualizer per name for the whole process: a name of its own, so that this
# run's scalars.json goes to its own work dir whatever ran before in the test session
visualizer = dict(name='{path.stem}_{abs(hash(str(path)))}')
{extra}
""")
    return path


def _log(work: Path) -> str:
    return '\n'.join(p.read_text() for p in work.glob('*/*.log'))


def test_shortened_chain_logs_ends_its_schedule_and_feeds_the_next_run(
        repo_root, tiny_pair, tmp_path, monkeypatch):
    """Source-only, then CBST from it, both shortened with one option: each run logs, its LR
    schedule ends at max_iters, it checkpoints at the end, and CBST takes source-only's latest
    checkpoint through its load_from (a config path) with its two rounds compressed."""
    monkeypatch.chdir(tmp_path)
    source_only = _tiny(tmp_path / 'so.py', 'configs/source_only/synthetic.py', repo_root, tiny_pair)
    work = tmp_path / 'work_dirs' / 'source_only_synthetic'
    train_tool.main([str(source_only), '--work-dir', str(work),
                     '--cfg-options', 'train_cfg.max_iters=4'])
    assert (work / 'iter_4.pth').is_file()
    log = _log(work)
    assert 'schedule scaled to 4 iterations: param_scheduler[0].end 160 -> 4' in log
    assert 'Iter(train) [4/4]' in log and 'Saving checkpoint at 4 iterations' in log
    scalars = [json.loads(line) for line in next(work.glob('*/vis_data/scalars.json')).open()]
    lrs = {s['iter']: s['lr'] for s in scalars if 'lr' in s}
    # PolyLR (power 0.9) over [0, 4), not [0, 160): mmengine decays over end - begin - 1 = 3 steps,
    # lr_t = 1e-3 * (1 - t / 3) ** 0.9, so the last iteration runs at 0.
    assert sorted(lrs) == [1, 2, 3, 4]
    assert lrs[2] == pytest.approx(1e-3 * (2 / 3) ** 0.9, rel=1e-4) and lrs[4] == 0.0

    cbst = _tiny(tmp_path / 'cbst.py', 'configs/cbst/synthetic.py', repo_root, tiny_pair,
                 extra=f"pseudo_labels = dict(progress=False, label_dataset=dict(data_root='{tiny_pair}'))")
    cbst_work = tmp_path / 'cbst_work'
    train_tool.main([str(cbst), '--work-dir', str(cbst_work), '--cfg-options', 'max_iters=4'])
    log = _log(cbst_work)
    assert re.search(r'Load checkpoint from \S*work_dirs/source_only_synthetic/iter_4\.pth', log)
    assert 'Saving checkpoint at 4 iterations' in log and (cbst_work / 'iter_4.pth').is_file()
    # Rounds before iterations 1 and 41 of 80 -> before 1 and 3 of 4.
    rounds = sorted(p.name for p in (cbst_work / 'pseudo_labels').glob('round_*'))
    assert rounds == ['round_0', 'round_1']


def test_one_past_the_run_and_horizons_beyond_it(repo_root, tmp_path):
    # DAFormer: end=max_iters + 1 (mmengine's PolyLR reaches 0 at end - 1) stays one past the run.
    cfg = _cfg(repo_root, 'configs/daformer/synthetic.py', tmp_path, max_iters=40)
    warmup, poly = cfg.param_scheduler['segmentor']
    assert (warmup.end, poly.end) == (2, 41)  # 7 of 160 -> 1.75 -> 2; 161 -> 41
    # DA-VSN: poly over a 250k horizon of a 120k run keeps its proportion (the rate at the end).
    cfg = _cfg(repo_root, 'configs/da_vsn/viper2cityscapes.py', tmp_path, max_iters=40)
    assert cfg.param_scheduler['discriminator'][0].end == scale_iterations(250001, 120000, 40) == 83
    # HCL lists its iteration-valued key (the historical models' reset interval).
    cfg = _cfg(repo_root, 'configs/hcl/synthetic.py', tmp_path, max_iters=20)
    assert cfg.model.history_interval == 30  # 120 of 80 -> still longer than the run
