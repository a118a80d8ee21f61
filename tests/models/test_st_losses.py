import math

import pytest
import torch

from uda_toolbox.models.losses import (
    iast_regularizer,
    ignored_entropy_loss,
    labelled_kld_loss,
    mrent_regularizer,
    mrkld_regularizer,
)

IG = 255


@pytest.fixture
def inputs():
    """Logits (1, 3, 1, 3) whose softmax is (0.5, 0.25, 0.25), uniform and (0.8, 0.1, 0.1);
    the first two pixels are labelled, the third is ignored."""
    probs = torch.tensor([[0.5, 0.25, 0.25], [1 / 3, 1 / 3, 1 / 3], [0.8, 0.1, 0.1]]).T
    logits = probs.log().reshape(1, 3, 1, 3).clone().requires_grad_(True)
    labels = torch.tensor([[[0, 2, IG]]])
    return logits, labels


# Hand values: -(1/3) sum log p and sum p log p of each pixel.
KLD = [-(math.log(0.5) + 2 * math.log(0.25)) / 3, math.log(3), -(math.log(0.8) + 2 * math.log(0.1)) / 3]
NEG_ENT = [0.5 * math.log(0.5) + 0.5 * math.log(0.25), -math.log(3),
           0.8 * math.log(0.8) + 0.2 * math.log(0.1)]


def test_mrkld_averages_over_labelled_pixels(inputs):
    logits, labels = inputs
    loss = mrkld_regularizer(logits, labels)
    assert loss.item() == pytest.approx((KLD[0] + KLD[1]) / 2, rel=1e-5)  # (1.1552 + 1.0986) / 2
    loss.backward()
    assert logits.grad[..., 2].abs().max() == 0  # the ignored pixel gets no gradient


def test_mrent_is_the_negative_entropy_of_labelled_pixels(inputs):
    logits, labels = inputs
    loss = mrent_regularizer(logits, labels)
    assert loss.item() == pytest.approx((NEG_ENT[0] + NEG_ENT[1]) / 2, rel=1e-5)
    # Minimising it raises the entropy of a confident labelled prediction.
    loss.backward()
    assert logits.grad[0, 0, 0, 0] > 0  # pushes the top class of pixel 0 down


def test_iast_terms_use_c_times_pixel_normalisation(inputs):
    logits, labels = inputs
    # Entropy on the one ignored pixel, divided by C x 1.
    assert ignored_entropy_loss(logits, labels).item() == pytest.approx(-NEG_ENT[2] / 3, rel=1e-5)
    # KLD on the two labelled pixels, divided by C x 2.
    assert labelled_kld_loss(logits, labels).item() == pytest.approx((KLD[0] + KLD[1]) / 6, rel=1e-5)
    terms = iast_regularizer(logits, labels)  # weights 3.0 (entropy) and 0.1 (KLD), IAST's
    assert sorted(terms) == ['loss_reg_ent', 'loss_reg_kld']
    assert terms['loss_reg_ent'].item() == pytest.approx(3.0 * -NEG_ENT[2] / 3, rel=1e-5)
    assert terms['loss_reg_kld'].item() == pytest.approx(0.1 * (KLD[0] + KLD[1]) / 6, rel=1e-5)
    reweighted = iast_regularizer(logits, labels, ent_weight=0.0, kld_weight=1.0)
    assert sum(reweighted.values()).item() == pytest.approx((KLD[0] + KLD[1]) / 6, rel=1e-5)


def test_empty_regions_give_zero_with_a_graph(inputs):
    logits, _ = inputs
    none_labelled = torch.full((1, 1, 3), IG)
    all_labelled = torch.zeros(1, 1, 3, dtype=torch.long)
    for fn in (mrkld_regularizer, mrent_regularizer, labelled_kld_loss):
        value = fn(logits, none_labelled)
        assert value.item() == 0 and value.requires_grad
    assert ignored_entropy_loss(logits, all_labelled).item() == 0
    total = sum(iast_regularizer(logits, none_labelled).values())
    assert total.item() == pytest.approx(3.0 * -sum(NEG_ENT) / 9, rel=1e-5)
    with pytest.raises(ValueError, match=r'labels \(N, H, W\)'):
        mrkld_regularizer(logits, torch.zeros(1, 3, dtype=torch.long))
