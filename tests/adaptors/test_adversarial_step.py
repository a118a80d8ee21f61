"""The shared adversarial mechanics of adaptors/base.py: the two steps and the optimizer dict."""
import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper, OptimWrapperDict, build_optim_wrapper

from uda_toolbox.adaptors.adversarial import SOURCE_LABEL, TARGET_LABEL, set_requires_grad
from uda_toolbox.engine.optimizers import MultiOptimWrapperConstructor

CONFIG = 'configs/adaptsegnet/synthetic.py'


def _snapshot(module):
    return {n: p.detach().clone() for n, p in module.named_parameters()}


def _changed(before, module):
    return [n for n, p in module.named_parameters() if not torch.equal(before[n], p.detach())]


def test_segmentor_step_leaves_the_discriminator_alone(adaptor_from_config, uda_batch):
    model, optim = adaptor_from_config(CONFIG)
    data = model.data_preprocessor(uda_batch(), True)
    disc_before, seg_before = _snapshot(model.discriminator), _snapshot(model.segmentor)
    log_vars, disc_inputs = model.train_segmentor(data['source'], data['target'], optim['segmentor'])
    assert log_vars['loss_adv'] > 0
    # The adversarial term back-propagated through the frozen discriminator into the
    # segmentor, but no gradient was stored on the discriminator.
    assert all(p.grad is None for p in model.discriminator.parameters())
    assert not _changed(disc_before, model.discriminator)
    assert len(_changed(seg_before, model.segmentor)) == len(seg_before)
    # requires_grad is back on for the discriminator step.
    assert all(p.requires_grad for p in model.discriminator.parameters())
    src, tgt = disc_inputs['main']
    assert src.shape == tgt.shape == (4, 15, 32, 64) and tgt.requires_grad


def test_discriminator_step_leaves_the_segmentor_alone(adaptor_from_config, uda_batch):
    model, optim = adaptor_from_config(CONFIG)
    data = model.data_preprocessor(uda_batch(), True)
    _, disc_inputs = model.train_segmentor(data['source'], data['target'], optim['segmentor'])
    disc_before, seg_before = _snapshot(model.discriminator), _snapshot(model.segmentor)
    log_vars = model.train_discriminator(disc_inputs, optim['discriminator'])
    assert not _changed(seg_before, model.segmentor)
    assert all(p.grad is None for p in model.segmentor.parameters())
    assert len(_changed(disc_before, model.discriminator)) == len(disc_before)
    assert set(log_vars) == {'loss_disc', 'loss_disc_main_src', 'loss_disc_main_tgt'}
    assert log_vars['loss_disc'] == pytest.approx(
        float(log_vars['loss_disc_main_src'] + log_vars['loss_disc_main_tgt']), rel=1e-5)


def test_train_step_runs_segmentor_then_discriminator(adaptor_from_config, uda_batch, monkeypatch):
    model, optim = adaptor_from_config(CONFIG)
    calls = []
    for name in ('train_segmentor', 'train_discriminator'):
        original = getattr(model, name)

        def spy(*args, _name=name, _original=original):
            calls.append(_name)
            return _original(*args)
        monkeypatch.setattr(model, name, spy)
    log_vars = model.train_step(uda_batch(), optim)
    assert calls == ['train_segmentor', 'train_discriminator']
    # 'loss' is the segmentor's total; the discriminator's is 'loss_disc'.
    assert log_vars['loss'] == pytest.approx(float(log_vars['loss_seg_src'] + log_vars['loss_adv']))
    assert 'loss_disc' in log_vars


def test_label_convention_source_0_target_1(adaptor_from_config):
    """The segmentor's adversarial term scores target maps against the SOURCE label."""
    assert (SOURCE_LABEL, TARGET_LABEL) == (0.0, 1.0)
    model, _ = adaptor_from_config(CONFIG)
    for p in model.discriminator.parameters():
        nn.init.zeros_(p)
    last = model.discriminator['main'].body[-1]
    nn.init.constant_(last.bias, -5.0)  # D says "source" (logit << 0) for everything
    maps = torch.rand(2, 15, 32, 64)
    assert model.fool_discriminator('main', maps).item() < 0.01  # fooled: no adversarial pressure


def test_single_optimizer_wrapper_is_a_clear_error(adaptor_from_config, uda_batch):
    model, _ = adaptor_from_config(CONFIG)
    with pytest.raises(TypeError, match='MultiOptimWrapperConstructor'):
        model.train_step(uda_batch(), OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))


def test_multi_optim_wrapper_constructor(adaptor_from_config):
    model, optim = adaptor_from_config(CONFIG)
    assert isinstance(optim, OptimWrapperDict) and list(optim.keys()) == ['segmentor', 'discriminator']
    seg_opt, disc_opt = optim['segmentor'].optimizer, optim['discriminator'].optimizer
    assert isinstance(seg_opt, torch.optim.Adam) and seg_opt.defaults['lr'] == 1e-3
    assert isinstance(disc_opt, torch.optim.Adam) and disc_opt.defaults['lr'] == 1e-4
    assert disc_opt.defaults['betas'] == (0.9, 0.99)
    owned = {id(p) for g in seg_opt.param_groups for p in g['params']}
    assert owned == {id(p) for p in model.segmentor.parameters()}
    owned = {id(p) for g in disc_opt.param_groups for p in g['params']}
    assert owned == {id(p) for p in model.discriminator.parameters()}

    # What tools/train.py --amp sets at the top level reaches every entry.
    amp = MultiOptimWrapperConstructor(dict(
        type='AmpOptimWrapper', loss_scale='dynamic',
        segmentor=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))))
    assert {e['type'] for e in amp.entries.values()} == {'AmpOptimWrapper'}
    assert {e['loss_scale'] for e in amp.entries.values()} == {'dynamic'}
    with pytest.raises(KeyError, match="no child module 'generator'"):
        build_optim_wrapper(model, dict(constructor='MultiOptimWrapperConstructor',
                                        generator=dict(optimizer=dict(type='SGD', lr=0.1))))
    with pytest.warns(UserWarning, match='in no optimizer'):
        build_optim_wrapper(model, dict(constructor='MultiOptimWrapperConstructor',
                                        segmentor=dict(optimizer=dict(type='SGD', lr=0.1))))


def test_set_requires_grad():
    layers = [nn.Linear(2, 2), nn.Linear(2, 1)]
    set_requires_grad(layers, False)
    assert not any(p.requires_grad for m in layers for p in m.parameters())
    set_requires_grad(layers[0], True)
    assert all(p.requires_grad for p in layers[0].parameters())
