"""The source-free mode: configs that define source data are refused before anything is built,
source batches are refused, model copies start from the loaded weights; SHOT, URMA, HCL and STPL
steps on target batches."""
import copy

import pytest
import torch
from conftest import make_clip_batch, make_uda_batch

from uda_toolbox.apis import build_train_config, source_dataset_keys
from uda_toolbox.registry import MODELS

METHODS = ['shot', 'urma', 'hcl', 'stpl']


def target_batch(seed=0, n=2):
    """A target-only batch (what UDADataset(source=None) collates to), with zero flow."""
    clips = make_clip_batch(n=n, labelled=False, seed=seed, shift=-30)
    clips['flows'] = [torch.zeros(1, 2, 32, 64) for _ in range(n)]
    return dict(target=clips)


def _write(path, text):
    path.write_text(text)
    return str(path)


# ----------------------------------------------------------------- the config check
@pytest.mark.parametrize('method', METHODS)
@pytest.mark.parametrize('data', ['synthetic', 'viper2cityscapes', 'viper2cityscapes_seq',
                                  'synthia2cityscapes_seq'])
def test_source_free_configs_define_no_source_data(repo_root, method, data):
    cfg = build_train_config(str(repo_root / f'configs/{method}/{data}.py'), work_dir='unused')
    assert MODELS.get(cfg.model.type).needs_source is False
    assert source_dataset_keys(cfg) == []
    assert cfg.train_dataloader.dataset.source is None
    assert cfg.load_from == f'configs/source_only/{data}.py'  # the source-only run of the same data


def test_a_source_dataset_in_the_training_data_is_refused(tmp_path, repo_root):
    path = _write(tmp_path / 'stpl_with_source.py', f"""
_base_ = ['{repo_root}/configs/stpl/synthetic.py']
train_dataloader = dict(dataset=dict(source=dict(
    _delete_=True, type='ClipDataset', data_root='data/synthetic',
    data_prefix=dict(img_path='source/train/img', seg_map_path='source/train/cls'))))
""")
    with pytest.raises(SystemExit) as err:
        build_train_config(path, work_dir=str(tmp_path / 'work'))
    message = str(err.value)
    assert 'stpl_with_source.py' in message and 'STPL is a source-free adaptor' in message
    assert 'train_dataloader.dataset.source' in message
    assert '_source_free.py' in message and 'docs/source_free.md' in message  # the fix
    assert not (tmp_path / 'work').exists()  # stopped before anything was built or written


def test_a_uda_dataset_base_under_a_source_free_adaptor_is_refused(tmp_path, repo_root):
    path = _write(tmp_path / 'shot_on_uda_data.py', f"""
_base_ = ['{repo_root}/configs/_base_/models/tiny_deeplabv2.py',
          '{repo_root}/configs/_base_/datasets/synthetic.py',
          '{repo_root}/configs/_base_/schedules/synthetic.py',
          '{repo_root}/configs/_base_/default_runtime.py']
model = dict(type='SHOT')
""")
    with pytest.raises(SystemExit, match=r'source_train') as err:
        build_train_config(path)
    assert 'train_dataloader.dataset.source' in str(err.value)


def test_a_source_dataset_anywhere_else_is_refused_too(tmp_path, repo_root):
    path = _write(tmp_path / 'hook_with_source.py', f"""
_base_ = ['{repo_root}/configs/urma/synthetic.py']
pseudo_labels = dict(dataset=dict(type='UDADataset', source=dict(type='ClipDataset'), target=None))
""")
    with pytest.raises(SystemExit, match=r'pseudo_labels\.dataset\.source'):
        build_train_config(path)


def test_uda_configs_are_not_checked(repo_root):
    cfg = build_train_config(str(repo_root / 'configs/source_only/synthetic.py'), work_dir='unused')
    assert source_dataset_keys(cfg) == ['train_dataloader.dataset.source', 'source_train']


# ----------------------------------------------------------------- the adaptor side
def test_a_source_batch_is_refused(adaptor_from_config):
    model, optim = adaptor_from_config('configs/shot/synthetic.py')
    model.train()
    with pytest.raises(ValueError, match='received a source batch'):
        model.train_step(make_uda_batch(), optim)


def test_copies_start_from_the_loaded_weights_and_follow_their_rule(adaptor_from_config):
    model, optim = adaptor_from_config('configs/stpl/synthetic.py', teacher='ema',
                                       ema_momentum=0.5)
    # what load_from does after construction: the student's weights change
    with torch.no_grad():
        for param in model.segmentor.parameters():
            param.add_(0.1)
    name = 'decode_head.aspp.0.weight'
    loaded = model.segmentor.state_dict()[name].clone()
    assert not torch.equal(model.teacher['segmentor'].state_dict()[name], loaded)
    model.train()
    model.train_step(target_batch(), optim)
    # first step: the teacher took the loaded weights (EMA of equal weights leaves them)
    assert torch.equal(model.teacher['segmentor'].state_dict()[name], loaded)
    assert bool(model.copies_initialised) and int(model.step_count) == 1
    assert not model.teacher.training  # the teacher predicts in eval mode while training
    student = model.segmentor.state_dict()[name].clone()
    model.train_step(target_batch(seed=1), optim)
    expected = 0.5 * loaded + 0.5 * student  # ema <- m * ema + (1 - m) * student
    assert torch.allclose(model.teacher['segmentor'].state_dict()[name], expected)
    # a resumed run (flag True in its checkpoint) never refills the copies
    state = copy.deepcopy(model.state_dict())
    fresh, _ = adaptor_from_config('configs/stpl/synthetic.py', teacher='ema', ema_momentum=0.5)
    fresh.load_state_dict(state)
    assert bool(fresh.copies_initialised)
    assert torch.equal(fresh.teacher['segmentor'].state_dict()[name],
                       model.teacher['segmentor'].state_dict()[name])


def test_hcl_historical_models_reset_every_interval(adaptor_from_config):
    model, optim = adaptor_from_config('configs/hcl/synthetic.py', history_interval=2,
                                       view_scale=None)
    model.train()
    name = 'decode_head.aspp.0.weight'
    source = model.segmentor.state_dict()[name].clone()
    model.train_step(target_batch(), optim)
    model.train_step(target_batch(seed=1), optim)
    assert torch.equal(model.historical['segmentor'].state_dict()[name], source)
    before_third = model.segmentor.state_dict()[name].clone()
    model.train_step(target_batch(seed=2), optim)  # step 2: "record historical model"
    assert torch.equal(model.historical['segmentor'].state_dict()[name], before_third)
    # G_ma was reset too, then moved by one EMA step of identical weights: unchanged (up to rounding)
    assert torch.allclose(model.ema["segmentor"].state_dict()[name], before_third, atol=1e-7)
    assert torch.equal(model.source['segmentor'].state_dict()[name], source)  # labels: frozen
    assert not torch.equal(model.often_weight, torch.ones_like(model.often_weight))


@pytest.mark.parametrize('method', ['shot', 'urma'])
def test_frozen_classifier(adaptor_from_config, method):
    model, optim = adaptor_from_config(f'configs/{method}/synthetic.py')
    head = {k: v.clone() for k, v in model.segmentor.decode_head.state_dict().items()}
    backbone = {k: v.clone() for k, v in model.segmentor.backbone.state_dict().items()}
    model.train()
    for seed in range(2):
        model.train_step(target_batch(seed=seed), optim)
    assert all(torch.equal(v, model.segmentor.decode_head.state_dict()[k]) for k, v in head.items())
    assert any(not torch.equal(v, model.segmentor.backbone.state_dict()[k])
               for k, v in backbone.items())


EXPECTED_TERMS = dict(shot={'loss_ent', 'loss_div', 'loss_pseudo'},
                      urma={'loss_seg_tgt', 'loss_ent', 'loss_unc'},
                      hcl={'loss_seg', 'loss_contrast'},
                      stpl={'loss_seg_tgt', 'loss_contrast'})


@pytest.mark.parametrize('method', METHODS)
def test_steps_on_target_batches(adaptor_from_config, method):
    options = dict(confidence_threshold=None) if method == 'stpl' else {}
    model, optim = adaptor_from_config(f'configs/{method}/synthetic.py', **options)
    if method == 'urma':  # its labels come from a round: give some as gt_seg
        batch = target_batch()
        batch['target']['gt_seg'] = make_clip_batch(n=2, seed=0)['gt_seg']
    else:
        batch = target_batch()
    before = copy.deepcopy(model.segmentor.backbone.state_dict())
    model.train()
    logs = [model.train_step(batch, optim) for _ in range(3)]
    for log in logs:
        assert EXPECTED_TERMS[method] <= set(log), log
        assert all(torch.isfinite(torch.as_tensor(v)).all() for v in log.values()), log
    if method == 'stpl':
        assert float(logs[0]['contrast_anchors']) > 0 and float(logs[0]['loss_contrast']) > 0
    assert any(not torch.equal(v, model.segmentor.backbone.state_dict()[k]) for k, v in before.items())


@pytest.mark.parametrize('spec', ['synthetic_source_free', 'viper2cityscapes_source_free'])
def test_benchmark_specs_adapt_the_source_only_checkpoint(repo_root, spec):
    from mmengine.config import Config
    rows = Config.fromfile(str(repo_root / f'configs/benchmarks/{spec}.py')).rows
    assert [row['name'] for row in rows] == ['Source-only', 'SHOT', 'URMA', 'HCL',
                                             'STPL (our reading)']
    for row in rows[1:]:
        assert row['arch'] == 'SF' and row['depends'] == 'Source-only'
        cfg = Config.fromfile(str(repo_root / row['config']))
        assert MODELS.get(cfg.model.type).needs_source is False
        assert source_dataset_keys(cfg) == []


def test_flip_averaged_round_predictions(adaptor_from_config):
    """URMA's labels: the round's softmax averaged with that of the flipped frame, flipped back."""
    from uda_toolbox.pseudo_labels.predict import model_prob_fn
    from uda_toolbox.utils.normalize import normalize, preprocessor_stats
    model, _ = adaptor_from_config('configs/urma/synthetic.py')
    model.eval()
    frames = torch.randint(0, 256, (2, 3, 32, 64), dtype=torch.uint8)
    with torch.no_grad():
        x = normalize(frames.float(), **preprocessor_stats(model.data_preprocessor))
        plain = model.segment(x[:, None])[:, 0].softmax(1)
        flipped = model.segment(x.flip(-1)[:, None])[:, 0].softmax(1).flip(-1)
        assert torch.allclose(model_prob_fn(model)(frames), plain)
        assert torch.allclose(model_prob_fn(model, flip=True)(frames), 0.5 * (plain + flipped))
    assert not torch.allclose(plain, flipped)
