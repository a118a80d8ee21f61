import pytest
import torch

from uda_toolbox.models.losses import entropy_loss, self_information_map

CONFIG = 'configs/advent/synthetic.py'


def test_trains_20_iterations(adaptor_from_config, train_iters, assert_learns):
    model, optim = adaptor_from_config(CONFIG)
    logs = train_iters(model, optim)
    assert_learns(logs)
    assert 'loss_ent' not in logs[-1]  # lambda_ent = 0: AdvEnt alone


def test_discriminator_sees_self_information_maps(adaptor_from_config, uda_batch):
    model, _ = adaptor_from_config(CONFIG)
    data = model.data_preprocessor(uda_batch(), True)
    _, disc_inputs = model.segmentor_losses(data['source'], data['target'])
    src, tgt = disc_inputs['main']
    probs = model.segment(data['target']['inputs']).softmax(2).flatten(0, 1)
    assert torch.allclose(tgt, self_information_map(probs), atol=1e-6)
    # Summed over classes: the entropy normalised by log2(C), in [0, 1].
    entropy = src.sum(1)
    assert entropy.min() >= 0 and entropy.max() <= 1 + 1e-6 and entropy.mean() > 0.1


def test_entropy_minimisation_option(adaptor_from_config, uda_batch):
    model, _ = adaptor_from_config(CONFIG, lambda_ent=0.5)
    data = model.data_preprocessor(uda_batch(), True)
    losses, _ = model.segmentor_losses(data['source'], data['target'])
    probs = model.segment(data['target']['inputs']).softmax(2).flatten(0, 1)
    assert losses['loss_ent'].item() == pytest.approx(0.5 * entropy_loss(probs).item(), rel=1e-5)
