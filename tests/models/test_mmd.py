"""DA-STC's category-aware alignment (uda_toolbox/models/mmd.py) against hand computations."""
import math

import pytest
import torch

from uda_toolbox.models.mmd import (
    ClassMeanMMDLoss,
    class_mean_vectors,
    labels_on_grid,
    mmd_rbf,
    multi_bandwidth_gaussian_kernel,
)


def test_mmd_with_zero_rows_equals_the_hand_computation():
    """Rows r0=(1,0), r1=(0,0) | r2=(0,1), r3=(0,0): squared distances 1, 2, 1, 1, 0, 1 between
    the pairs, so sigma = 2 * 6 / (16 - 4) = 1 and the bandwidths are 1/4, 1/2, 1, 2, 4. With
    k(d) = sum_b exp(-d / b), MMD^2 = mean(K_ss + K_tt - K_st - K_ts) = (20 + 4 k(1) - (2 k(2) +
    4 k(1) + 10)) / 4 = 2.5 - k(2) / 2, the zero rows included as the code keeps them."""
    source = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    target = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    k = lambda d: sum(math.exp(-d / b) for b in (0.25, 0.5, 1.0, 2.0, 4.0))  # noqa: E731
    assert mmd_rbf(source, target).item() == pytest.approx(2.5 - k(2) / 2, rel=1e-6)
    kernel = multi_bandwidth_gaussian_kernel(source, target)
    assert kernel[0, 0].item() == pytest.approx(5.0) and kernel[0, 2].item() == pytest.approx(k(2))
    assert kernel[1, 3].item() == pytest.approx(5.0) and kernel[0, 1].item() == pytest.approx(k(1))
    # a fixed sigma of 4: bandwidths 1 .. 16
    k4 = lambda d: sum(math.exp(-d / b) for b in (1.0, 2.0, 4.0, 8.0, 16.0))  # noqa: E731
    assert mmd_rbf(source, target, fix_sigma=4.0).item() == pytest.approx(2.5 - k4(2) / 2, rel=1e-6)
    assert ClassMeanMMDLoss(loss_weight=0.01)(source, target).item() == pytest.approx(
        0.01 * (2.5 - k(2) / 2), rel=1e-6)


def test_mmd_gradient_and_degenerate_sets():
    source = torch.tensor([[1.0, 0.0], [0.0, 0.0]], requires_grad=True)
    mmd_rbf(source, torch.tensor([[0.0, 1.0], [0.0, 0.0]])).backward()
    assert source.grad.abs().sum() > 0
    same = torch.ones(3, 2, requires_grad=True)
    loss = mmd_rbf(same, torch.ones(3, 2))  # sigma would be 0: the code's kernel is NaN
    assert loss.item() == 0.0 and loss.requires_grad
    with pytest.raises(ValueError, match='equally sized'):
        mmd_rbf(torch.ones(2, 2), torch.ones(3, 2))


def test_class_mean_vectors_by_hand():
    # 3 classes on a 2 x 4 grid; argmax per pixel:  [[0, 0, 0, 1], [1, 2, 0, 0]]
    scores = torch.zeros(1, 3, 2, 4)
    argmax = torch.tensor([[0, 0, 0, 1], [1, 2, 0, 0]])
    scores.scatter_(1, argmax[None, None], 10.0)
    scores += 0.1 * torch.arange(24.0).view(1, 3, 2, 4)  # distinct values, the argmax kept
    assert torch.equal(scores.argmax(1)[0], argmax)
    features = scores
    # class 0: 5 pixels -> mean of their score vectors; class 1: 2 pixels (< 3) -> zero row;
    # class 2: 1 pixel -> zero row
    vectors = class_mean_vectors(features, scores, 3, min_pixels=3)
    pixels0 = [(0, 0), (0, 1), (0, 2), (1, 2), (1, 3)]
    want0 = torch.stack([scores[0, :, r, c] for r, c in pixels0]).mean(0)
    assert torch.allclose(vectors[0], want0)
    assert torch.equal(vectors[1:], torch.zeros(2, 3))
    # with labels: only pixels where label == argmax count (and ignore counts for none)
    labels = torch.tensor([[[0, 0, 255, 1], [1, 2, 0, 1]]])
    vectors = class_mean_vectors(features, scores, 3, labels, min_pixels=2)
    want0 = torch.stack([scores[0, :, r, c] for r, c in [(0, 0), (0, 1), (1, 2)]]).mean(0)
    want1 = torch.stack([scores[0, :, r, c] for r, c in [(0, 3), (1, 0)]]).mean(0)
    assert torch.allclose(vectors[0], want0) and torch.allclose(vectors[1], want1)
    assert torch.equal(vectors[2], torch.zeros(3))  # 1 pixel


def test_class_vectors_summing_to_zero_are_dropped_and_batches_pool():
    scores = torch.tensor([[1.0, -1.0], [1.0, -1.0]]).T.reshape(1, 2, 1, 2).repeat(2, 1, 1, 1)
    # every pixel is class 0 with the score vector (1, -1): its mean sums to 0 -> zero row
    assert torch.equal(class_mean_vectors(scores, scores, 2, min_pixels=1), torch.zeros(2, 2))
    features = torch.stack([torch.full((1, 1, 2), 2.0), torch.full((1, 1, 2), 4.0)])
    vectors = class_mean_vectors(features, scores, 2, min_pixels=4)  # 2 samples x 2 pixels pooled
    assert torch.equal(vectors, torch.tensor([[3.0], [0.0]]))


def test_labels_on_grid_is_nearest():
    labels = torch.arange(16).view(1, 4, 4)
    assert torch.equal(labels_on_grid(labels, (2, 2)), torch.tensor([[[0, 2], [8, 10]]]))
