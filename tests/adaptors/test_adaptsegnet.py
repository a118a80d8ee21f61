import pytest
import torch

CONFIG = 'configs/adaptsegnet/synthetic.py'


def test_trains_20_iterations(adaptor_from_config, train_iters, assert_learns):
    model, optim = adaptor_from_config(CONFIG)
    logs = train_iters(model, optim)
    assert_learns(logs)
    assert {'loss_seg_src', 'loss_adv', 'loss_disc'} <= set(logs[-1])


def test_discriminator_sees_softmax_maps_of_every_frame(adaptor_from_config, uda_batch):
    model, _ = adaptor_from_config(CONFIG)
    data = model.data_preprocessor(uda_batch(), True)
    losses, disc_inputs = model.segmentor_losses(data['source'], data['target'])
    assert set(disc_inputs) == {'main'} and set(losses) == {'loss_seg_src', 'loss_adv'}
    src, tgt = disc_inputs['main']
    assert src.shape == (4, 15, 32, 64)  # 2 clips x 2 frames, one image each
    assert torch.allclose(src.sum(1), torch.ones(4, 32, 64), atol=1e-5)
    expected = model.segment(data['target']['inputs']).softmax(2).flatten(0, 1)
    assert torch.allclose(tgt, expected, atol=1e-6)
    # Eq. 2 with lambda_adv = 0.001 (single level).
    assert losses['loss_adv'].item() == pytest.approx(
        0.001 * model.fool_discriminator('main', tgt).item(), rel=1e-5)


def test_multi_level_switch(adaptor_from_config, train_iters, assert_learns):
    model, optim = adaptor_from_config('configs/adaptsegnet/synthetic_multi_level.py')
    assert set(model.discriminator) == {'main', 'aux'}
    assert model.lambda_adv == dict(main=0.001, aux=0.0002) and model.lambda_seg_aux == 0.1
    logs = train_iters(model, optim, n=20)
    assert_learns(logs)
    assert_learns(logs, 'loss_seg_src_aux')
    assert {'loss_adv_aux', 'loss_disc_aux_src', 'loss_disc_aux_tgt'} <= set(logs[-1])


def test_least_squares_gan_option(adaptor_from_config, train_iters):
    model, optim = adaptor_from_config(CONFIG, gan_type='lsgan')
    logs = train_iters(model, optim, n=2)
    assert all(torch.isfinite(v) for v in logs[-1].values())
    with pytest.raises(ValueError, match='gan_type'):
        adaptor_from_config(CONFIG, gan_type='wgan')
