import math

import pytest
import torch

from uda_toolbox.models.losses import (
    downscale_label_ratio,
    entropy_loss,
    feature_distance,
    frame_dice_loss,
    gan_loss,
    self_information_map,
    tube_dice_loss,
    weighted_cross_entropy,
)


def _two_frame_case():
    """C = 2 classes, one clip of T = 2 frames of 1 x 2 pixels, both frames labelled [0, 1].
    Frame 0 is predicted perfectly, frame 1 is 50/50 everywhere."""
    labels = torch.tensor([[[[0, 1]], [[0, 1]]]])  # (N=1, T=2, H=1, W=2)
    p0 = torch.tensor([[1.0, 0.0], [0.5, 0.5]])  # class-0 probability, frame x pixel
    probs = torch.stack([p0, 1 - p0], dim=1).view(1, 2, 2, 1, 2)  # (N, T, C, H, W)
    return probs, labels


def test_tube_dice_is_zero_for_a_perfect_prediction():
    labels = torch.tensor([[[[0, 1, 2, 2]], [[1, 1, 0, 255]]]])
    probs = torch.nn.functional.one_hot(labels.clamp(max=2), 3).permute(0, 1, 4, 2, 3).float()
    for smooth in (0.0, 1.0):
        assert tube_dice_loss(probs, labels, smooth=smooth).item() == pytest.approx(0.0, abs=1e-6)
    assert frame_dice_loss(probs, labels, smooth=1.0).item() == pytest.approx(0.0, abs=1e-6)


def test_tube_dice_and_single_frame_dice_by_hand():
    probs, labels = _two_frame_case()
    # Tube (Eq. 6-7), class 0: p = [1, 0, .5, .5], q = [1, 0, 1, 0]:
    # 2 * 1.5 / (1.5 + 2) = 6/7, the same for class 1 -> 2 * (1 - 6/7) = 2/7.
    assert tube_dice_loss(probs, labels, smooth=0.0).item() == pytest.approx(2 / 7, abs=1e-6)
    # Single frame: frame 0 gives 0; frame 1, class 0: 2 * .5 / (.5 + 1) = 2/3, class 1 too
    # -> 2/3; averaged over the two frames -> 1/3. Not the tube's value.
    assert frame_dice_loss(probs, labels, smooth=0.0).item() == pytest.approx(1 / 3, abs=1e-6)


def test_tube_dice_ignores_unlabelled_pixels():
    probs, labels = _two_frame_case()
    labels[0, 1, 0, 1] = 255
    # Class 0: p = [1, 0, .5], q = [1, 0, 1] -> 3 / 3.25; class 1: p = [0, 1, .5], q = [0, 1, 0]
    # -> 2 / 2.25.
    expected = (1 - 3 / 3.25) + (1 - 2 / 2.25)
    assert tube_dice_loss(probs, labels, smooth=0.0).item() == pytest.approx(expected, abs=1e-6)


def test_tube_dice_smoothing_keeps_absent_classes_finite_and_sums_over_classes():
    labels = torch.zeros(2, 2, 4, 4, dtype=torch.long)  # only class 0 anywhere
    probs = torch.full((2, 2, 3, 4, 4), 1 / 3, requires_grad=True)
    loss = tube_dice_loss(probs, labels, smooth=1.0)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(probs.grad).all()
    assert 0 < loss.item() < 3  # at most one per class (Eq. 6 sums over classes)
    with pytest.raises(ValueError, match=r'\(N, T, C, H, W\)'):
        tube_dice_loss(probs[0], labels[0])


def test_self_information_map_by_hand():
    probs = torch.tensor([0.5, 0.25, 0.25, 0.0]).view(1, 4, 1, 1)
    # -p log2 p / log2 4: 0.5 * 1 / 2, 0.25 * 2 / 2, 0.25 * 2 / 2, 0 (p = 0 gives 0, not NaN).
    expected = torch.tensor([0.25, 0.25, 0.25, 0.0]).view(1, 4, 1, 1)
    assert torch.allclose(self_information_map(probs), expected, atol=1e-6)


def test_entropy_loss_is_the_mean_over_pixels_of_the_class_sum():
    peaked = torch.tensor([0.5, 0.25, 0.25, 0.0])  # normalised entropy 0.75
    uniform = torch.full((4,), 0.25)  # normalised entropy 1
    probs = torch.stack([peaked, uniform], dim=1).view(1, 4, 1, 2)
    assert entropy_loss(probs).item() == pytest.approx((0.75 + 1.0) / 2, abs=1e-6)
    one_hot = torch.eye(3).view(1, 3, 1, 3)
    assert entropy_loss(one_hot).item() == pytest.approx(0.0, abs=1e-6)


def test_gan_losses():
    zeros = torch.zeros(2, 1, 3, 3)
    assert gan_loss(zeros, 0.0).item() == pytest.approx(math.log(2), abs=1e-6)
    assert gan_loss(torch.full((4,), 20.0), 1.0).item() == pytest.approx(0.0, abs=1e-6)
    assert gan_loss(torch.full((4,), 20.0), 0.0).item() == pytest.approx(20.0, abs=1e-4)
    # Least squares on the raw output: ((0 - 1)^2 + (2 - 1)^2) / 2.
    assert gan_loss(torch.tensor([0.0, 2.0]), 1.0, 'lsgan').item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match='gan_type'):
        gan_loss(zeros, 0.0, 'wgan')


def test_tube_dice_default_is_eq7_without_smoothing():
    # Eq. 7 has no smoothing term: the default gives the hand value of the case above.
    probs, labels = _two_frame_case()
    assert tube_dice_loss(probs, labels).item() == pytest.approx(2 / 7, abs=1e-6)
    assert frame_dice_loss(probs, labels).item() == pytest.approx(1 / 3, abs=1e-6)


def test_tube_dice_absent_class_and_all_ignored_clip_by_hand():
    # Clip 0: every pixel class 0, predictions uniform over 3 classes. Class 0: I = n/3,
    # sum p^2 = n/9, sum q^2 = n -> Dice = (2/3) / (10/9) = 0.6; classes 1 and 2 are absent from
    # the labels but predicted: Dice = 0 / (n/9) = 0. Eq. 6: 0.4 + 1 + 1 = 2.4 (finite, smooth 0).
    labels = torch.zeros(2, 2, 4, 4, dtype=torch.long)
    labels[1] = 255  # clip 1 has no labelled pixel: left out of the mean (not 0 / 0 = NaN)
    probs = torch.full((2, 2, 3, 4, 4), 1 / 3, requires_grad=True)
    loss = tube_dice_loss(probs, labels)
    loss.backward()
    assert loss.item() == pytest.approx(2.4, abs=1e-6)
    assert torch.isfinite(probs.grad).all() and probs.grad[1].abs().sum() == 0
    # Every clip unlabelled: 0, still attached to the graph.
    empty = tube_dice_loss(probs, torch.full_like(labels, 255))
    assert empty.item() == 0 and empty.requires_grad
    # The single-frame Dice averages the frames that have labels: frame 1 of the hand case
    # alone gives 2/3.
    probs, labels = _two_frame_case()
    labels[0, 0] = 255
    assert frame_dice_loss(probs, labels).item() == pytest.approx(2 / 3, abs=1e-6)
    # Smoothing stays an option: (2 * 1.5 + 1) / (3.5 + 1) per class on the tube.
    probs, labels = _two_frame_case()
    assert tube_dice_loss(probs, labels, smooth=1.0).item() == pytest.approx(2 * (1 - 4 / 4.5),
                                                                             abs=1e-6)


# ----------------------------------------------------------------- DACS / DAFormer terms
def test_weighted_cross_entropy_averages_over_every_pixel():
    logits = torch.tensor([[[[2.0, 0.0, 1.0]], [[0.0, 0.0, 1.0]]]])  # (1, 2, 1, 3)
    labels = torch.tensor([[[0, 1, 255]]])
    weights = torch.tensor([[[0.5, 1.0, 1.0]]])
    ce0 = -torch.log_softmax(torch.tensor([2.0, 0.0]), 0)[0]
    ce1 = -torch.log_softmax(torch.tensor([0.0, 0.0]), 0)[1]
    # The ignored pixel adds 0 but counts in the mean (mmseg 0.x, as DACS / DAFormer run it).
    expected = (0.5 * ce0 + ce1) / 3
    assert torch.allclose(weighted_cross_entropy(logits, labels, weights), expected)


def test_downscale_label_ratio_by_hand():
    labels = torch.tensor([[[1, 1, 2, 2],
                            [1, 1, 2, 255],
                            [3, 3, 255, 255],
                            [3, 0, 255, 0]]])
    out = downscale_label_ratio(labels, 2, 0.75, num_classes=4)
    # Blocks: all 1 -> 1; 2 with 3/4 -> 2; 3 with 3/4 -> 3; 255 wins (3/4) -> ignored.
    assert out.tolist() == [[[1, 2], [3, 255]]]
    assert downscale_label_ratio(labels, 2, 0.8, num_classes=4).tolist() == [[[1, 255], [255, 255]]]


def test_feature_distance_masked_mean_and_zero_gradient_at_zero():
    features = torch.zeros(1, 2, 1, 3, requires_grad=True)
    reference = torch.tensor([[[[3.0, 0.0, 1.0]], [[4.0, 0.0, 0.0]]]])
    assert float(feature_distance(features, reference)) == pytest.approx((5 + 0 + 1) / 3)
    mask = torch.tensor([[[True, True, False]]])
    assert float(feature_distance(features, reference, mask)) == pytest.approx(2.5)
    empty = feature_distance(features, reference, torch.zeros(1, 1, 3, dtype=torch.bool))
    assert float(empty) == 0.0  # DAFormer's code would give NaN here
    same = feature_distance(features, features.detach(), None)
    same.backward()
    assert float(same) == 0.0 and torch.isfinite(features.grad).all()
