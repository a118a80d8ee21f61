import pytest
import torch

from uda_toolbox.models import FCDiscriminator, SequenceDiscriminator
from uda_toolbox.models.losses import masked_cross_entropy, tube_dice_loss

VARIANTS = {  # Shin et al. (2021) Table 3: config -> (discriminator, dice term logged)
    'configs/vat/synthetic.py': (SequenceDiscriminator, 'loss_tube'),
    'configs/vat/synthetic_model2.py': (FCDiscriminator, None),
    'configs/vat/synthetic_model3.py': (FCDiscriminator, 'loss_dice'),
    'configs/vat/synthetic_model4.py': (FCDiscriminator, 'loss_tube'),
}


@pytest.mark.parametrize('config', list(VARIANTS))
def test_table3_variants_train_20_iterations(config, adaptor_from_config, train_iters,
                                             assert_learns):
    model, optim = adaptor_from_config(config)
    disc_type, dice_key = VARIANTS[config]
    assert type(model.discriminator['main']) is disc_type
    logs = train_iters(model, optim)
    assert_learns(logs)
    keys = set(logs[-1])
    assert {'loss_seg_src', 'loss_adv', 'loss_disc'} <= keys
    assert {'loss_tube', 'loss_dice'} & keys == ({dice_key} if dice_key else set())
    if dice_key:
        # Eq. 7 without smoothing: each class absent from a clip's labels adds a constant 1 (Dice 0,
        # no gradient). The batches use the 4 classes of conftest's PALETTE: 11 of 15 are absent.
        absent = model.num_classes - 4
        assert_learns([{dice_key: float(log[dice_key]) - absent} for log in logs], dice_key)


def test_eq9_terms(adaptor_from_config, uda_batch):
    model, _ = adaptor_from_config('configs/vat/synthetic.py')
    data = model.data_preprocessor(uda_batch(), True)
    losses, disc_inputs = model.segmentor_losses(data['source'], data['target'])
    logits = model.segment(data['source']['inputs'])
    labels = data['source']['gt_seg']
    per_frame = [masked_cross_entropy(logits[:, i], labels[:, i]) for i in range(2)]
    assert losses['loss_seg_src'].item() == pytest.approx(sum(per_frame).item(), rel=1e-5)
    assert model.dice_smooth == 0.0  # Eq. 7 has no smoothing term
    tube = tube_dice_loss(logits.softmax(2), labels)
    assert losses['loss_tube'].item() == pytest.approx(tube.item(), rel=1e-5)
    # The sequence discriminator gets U = [P_t, P_t-tau]: (N, C, T, H, W), frame t first.
    src, tgt = disc_inputs['main']
    probs = logits.softmax(2)
    assert src.shape == (2, 15, 2, 32, 64)
    assert torch.allclose(src[:, :, 0], probs[:, 1], atol=1e-6)
    assert torch.allclose(src[:, :, 1], probs[:, 0], atol=1e-6)
    assert tgt.shape == src.shape


def test_image_discriminator_scores_every_frame(adaptor_from_config, uda_batch):
    model, _ = adaptor_from_config('configs/vat/synthetic_model4.py')
    data = model.data_preprocessor(uda_batch(), True)
    _, disc_inputs = model.segmentor_losses(data['source'], data['target'])
    assert disc_inputs['main'][0].shape == (4, 15, 32, 64)


def test_unknown_dice_mode_is_an_error(adaptor_from_config):
    with pytest.raises(ValueError, match='model.dice'):
        adaptor_from_config('configs/vat/synthetic.py', dice='volume')
