import pytest
from mmengine.optim import OptimWrapper

from uda_toolbox.models.losses import entropy_loss

CONFIG = 'configs/minent/synthetic.py'


def test_single_optimizer_and_20_iterations(adaptor_from_config, train_iters, assert_learns):
    model, optim = adaptor_from_config(CONFIG)
    assert type(optim) is OptimWrapper and not hasattr(model, 'discriminator')
    logs = train_iters(model, optim)
    assert_learns(logs)
    assert set(logs[-1]) == {'loss', 'loss_seg_src', 'loss_ent'}


def test_entropy_term_is_on_target_predictions(adaptor_from_config, uda_batch):
    model, _ = adaptor_from_config(CONFIG)
    data = model.data_preprocessor(uda_batch(), True)
    losses = model.loss(data['source'], data['target'])
    probs = model.segment(data['target']['inputs']).softmax(2).flatten(0, 1)
    assert losses['loss_ent'].item() == pytest.approx(0.001 * entropy_loss(probs).item(), rel=1e-5)


def test_a_strong_entropy_weight_makes_target_predictions_confident(adaptor_from_config,
                                                                    train_iters):
    model, optim = adaptor_from_config(CONFIG, lambda_ent=1.0)
    logs = train_iters(model, optim, n=12)
    assert float(logs[-1]['loss_ent']) < 0.7 * float(logs[0]['loss_ent'])
