"""Loss terms of the source-free adaptors against hand computations on tiny tensors."""
import math

import pytest
import torch
import torch.nn.functional as F

from uda_toolbox.models.source_free_losses import (
    cluster_pseudo_labels,
    consistency_weighted_cross_entropy,
    hcl_class_weights,
    historical_contrast_loss,
    information_maximization,
    marginal_entropy,
    pixel_contrast_loss,
    prediction_kl,
    softmax_mse,
)


def unit(*angles):
    """2-d unit vectors at the given angles (radians), one per row."""
    return torch.tensor([[math.cos(a), math.sin(a)] for a in angles], dtype=torch.float64)


# ----------------------------------------------------------------- pixel contrast (STPL)
def test_pixel_contrast_loss_equals_the_hand_computation():
    tau = 0.5
    keys = unit(0.0, 0.3, 2.0, 0.1, 2.5)
    key_labels = torch.tensor([0, 0, 1, 0, 1])
    anchors = keys[[0, 2]]
    anchor_labels = key_labels[[0, 2]]
    loss = pixel_contrast_loss(anchors, anchor_labels, keys, key_labels, tau,
                               anchor_index=torch.tensor([0, 2]))

    def term(a, p, negatives):
        s = lambda i, j: float(keys[i] @ keys[j]) / tau  # noqa: E731
        return -math.log(math.exp(s(a, p)) / (math.exp(s(a, p)) + sum(math.exp(s(a, n)) for n in negatives)))

    # anchor 0 (class 0): positives keys 1 and 3 (itself excluded), negatives 2 and 4
    l0 = (term(0, 1, [2, 4]) + term(0, 3, [2, 4])) / 2
    # anchor 2 (class 1): positive key 4, negatives 0, 1, 3
    l2 = term(2, 4, [0, 1, 3])
    assert loss.item() == pytest.approx((l0 + l2) / 2, rel=1e-10)


def test_pixel_contrast_loss_temperature_and_anchor_without_positive():
    keys = unit(0.0, 0.2, 1.5)
    labels = torch.tensor([0, 0, 1])
    # anchor 2 is the only member of class 1: no positive, it contributes nothing
    per_anchor = pixel_contrast_loss(keys, labels, keys, labels, 0.1,
                                     anchor_index=torch.arange(3), reduction='none')
    assert per_anchor[2].item() == 0.0
    mean = pixel_contrast_loss(keys, labels, keys, labels, 0.1, anchor_index=torch.arange(3))
    assert mean.item() == pytest.approx(per_anchor[:2].mean().item())
    # a higher temperature flattens the similarities: the loss moves towards log 2
    warm = pixel_contrast_loss(keys, labels, keys, labels, 100.0, anchor_index=torch.arange(3))
    assert warm.item() == pytest.approx(math.log(2), abs=1e-2)
    assert warm.item() > mean.item()
    # an anchor that is not a key keeps every same-label key as a positive
    outside = pixel_contrast_loss(unit(0.1), torch.tensor([0]), keys, labels, 0.1)
    s = lambda j: float(unit(0.1)[0] @ keys[j]) / 0.1  # noqa: E731
    expected = -0.5 * sum(math.log(math.exp(s(p)) / (math.exp(s(p)) + math.exp(s(2)))) for p in (0, 1))
    assert outside.item() == pytest.approx(expected, rel=1e-10)


def test_pixel_contrast_loss_without_any_positive_is_zero_and_differentiable():
    anchors = unit(0.0).requires_grad_(True)
    loss = pixel_contrast_loss(anchors, torch.tensor([3]), unit(1.0), torch.tensor([4]))
    loss.backward()
    assert loss.item() == 0.0 and anchors.grad is not None


# ----------------------------------------------------------------- HCL
def test_historical_contrast_loss_equals_the_official_formula_by_hand():
    tau, base = 0.5, 0.25
    q = unit(0.0, 1.0, 2.0)[None]
    k = unit(0.1, 1.2, 2.9)[None]
    ql = torch.tensor([[0, 1, 0]])
    kl = torch.tensor([[0, 0, 1]])
    r = torch.tensor([[0.9, 1.1, 1.0]], dtype=torch.float64)
    loss = historical_contrast_loss(q, ql, k, kl, r, tau, base)
    n = 3
    total = 0.0
    for i in range(n):
        s = [float(q[0, i] @ k[0, j]) / tau for j in range(n)]
        m = max(s)
        den = sum(float(r[0, j]) * math.exp(s[j] - m) for j in range(n) if j != i)
        pos = sum((s[j] - m) - math.log(den) + math.log(float(r[0, j]))
                  for j in range(n) if j != i and int(kl[0, j]) == int(ql[0, i]))
        total += -(tau / base) * pos / n  # divided by n, not by the number of positives
    assert loss.item() == pytest.approx(total / n, rel=1e-9)


def test_consistency_weighted_cross_entropy_by_hand():
    logits = torch.tensor([[[[2.0, 0.0]], [[0.0, 1.0]]]])  # (1, 2 classes, 1, 2)
    labels = torch.tensor([[[0, 255]]])
    weight_map = torch.tensor([[[0.5, 1.0]]])
    class_weight = torch.tensor([3.0, 1.0])
    loss = consistency_weighted_cross_entropy(logits, labels, weight_map, class_weight)
    ce0 = -math.log(math.exp(2) / (math.exp(2) + 1))
    # the ignored pixel counts 0 in a mean over both pixels (HCL's torch.mean)
    assert loss.item() == pytest.approx(0.5 * 3.0 * ce0 / 2, rel=1e-6)


def test_hcl_class_weights_by_hand():
    labels = torch.zeros(1, 8, 8, dtype=torch.long)
    labels[0, 0, :1] = 1  # class 1 on 1 of 64 pixels: small (< 64 / 32 = 2 pixels)
    often = torch.ones(3)
    weight, often = hcl_class_weights(labels, 3, often, small_fraction=1 / 32, max_value=7.0)
    # class 2 absent: small (x7) and "often" 0.9 * 1 + 0.1 * 7 = 1.6; class 1 small only
    assert torch.allclose(often, torch.tensor([1.0, 1.0, 1.6]))
    assert torch.allclose(weight, torch.tensor([1.0, 7.0, 7.0 * 1.6]))


def test_prediction_kl_matches_kldivloss():
    p, q = torch.randn(2, 4, 3, 3), torch.randn(2, 4, 3, 3)
    expected = torch.nn.KLDivLoss(reduction='none')(p.log_softmax(1), q.softmax(1)).sum(1)
    assert torch.allclose(prediction_kl(p, q), expected, atol=1e-6)
    assert torch.allclose(prediction_kl(p, p), torch.zeros(2, 3, 3), atol=1e-6)


# ----------------------------------------------------------------- SHOT
def test_information_maximization_by_hand():
    probs = torch.tensor([[0.5, 0.5], [1.0, 0.0]]).view(2, 2, 1, 1)
    entropy, diversity = information_maximization(probs, eps=0.0 + 1e-12)
    assert entropy.item() == pytest.approx(math.log(2) / 2, rel=1e-6)
    # mean prediction (0.75, 0.25)
    assert diversity.item() == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)), rel=1e-6)
    assert marginal_entropy(probs).item() == pytest.approx(diversity.item(), rel=1e-6)


def test_cluster_pseudo_labels_corrects_a_confident_mistake():
    # two tight clusters of features; point 2 sits in cluster 0 but the classifier calls it 1
    features = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.95, 0.05], [0.0, 1.0], [0.1, 0.9]])
    probs = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.1, 0.9], [0.2, 0.8]])
    labels = cluster_pseudo_labels(features, probs)
    assert labels.tolist() == [0, 0, 0, 1, 1]


def test_cluster_pseudo_labels_skips_classes_nobody_predicts():
    features = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    # class 2 has weight but is never the argmax: not a candidate centroid (SHOT threshold 0)
    probs = torch.tensor([[0.5, 0.1, 0.4], [0.1, 0.5, 0.4], [0.45, 0.1, 0.45]])
    labels = cluster_pseudo_labels(features, probs)
    assert set(labels.tolist()) <= {0, 1}
    # one hand step: soft centroids from the probabilities, nearest by cosine
    feats = F.normalize(torch.cat([features, torch.ones(3, 1)], 1), dim=1)
    centroids = probs.t() @ feats / probs.sum(0)[:, None]
    first = (feats @ F.normalize(centroids[:2], dim=1).t()).argmax(1)
    assert cluster_pseudo_labels(features, probs, iterations=1).tolist() == first.tolist()


# ----------------------------------------------------------------- URMA
def test_softmax_mse_by_hand_and_detached_target():
    a = torch.tensor([[[[0.0]], [[0.0]]]], requires_grad=True)  # softmax (0.5, 0.5)
    b = torch.tensor([[[[math.log(3.0)]], [[0.0]]]], requires_grad=True)  # (0.75, 0.25)
    loss = softmax_mse(a, b)
    assert loss.item() == pytest.approx((0.25 ** 2 + 0.25 ** 2) / 2)
    loss.backward()
    assert b.grad is None and a.grad is not None
