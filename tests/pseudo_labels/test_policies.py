import math

import numpy as np
import pytest
import torch

from uda_toolbox.pseudo_labels.policies import (
    ClassBalancedPolicy,
    ClipAdaptivePolicy,
    InstanceAdaptivePolicy,
    lrent_soft_labels,
)
from uda_toolbox.registry import PSEUDO_LABEL_POLICIES
from uda_toolbox.utils.soft_labels import decode_top2

IG = 255


def _probs(pixels, num_classes):
    """(1, C, 1, W) probabilities from (argmax class, max probability) pairs; the rest is
    spread evenly over the other classes."""
    out = torch.empty(1, num_classes, 1, len(pixels), dtype=torch.float64)
    for x, (c, m) in enumerate(pixels):
        out[0, :, 0, x] = (1 - m) / (num_classes - 1)
        out[0, c, 0, x] = m
    return out.float()


# ----------------------------------------------------------------- CBST
def _cbst_images():
    # Class 0: 10 confidences over two images; class 1: three; class 2: none.
    image_a = _probs([(0, 0.9), (0, 0.7), (1, 0.95), (0, 0.5), (0, 0.45), (1, 0.6)], 3)
    image_b = _probs([(0, 0.85), (0, 0.55), (0, 0.8), (1, 0.5), (0, 0.65), (0, 0.6), (0, 0.75)], 3)
    return image_a, image_b


def test_class_balanced_thresholds_top_portion_across_images():
    policy = ClassBalancedPolicy()  # p = 0.2 in round 0
    assert policy.two_pass
    policy.start_round(0)
    for image in _cbst_images():
        policy.observe(image)
    policy.finish_observation()
    # Class 0: floor(10 * 0.2) = 2 -> the 2nd largest of {0.9, 0.85, 0.8, ...} = 0.85.
    # Class 1: floor(3 * 0.2) = 0 -> 1; class 2 never predicted -> 1.
    assert policy.thresholds == pytest.approx([0.85, 1.0, 1.0], abs=1e-6)
    image_a, image_b = _cbst_images()
    assert policy.label(image_a).tolist() == [[[0, IG, IG, IG, IG, IG]]]
    assert policy.label(image_b).tolist() == [[[0, IG, IG, IG, IG, IG, IG]]]
    assert policy.label(image_a).dtype == torch.uint8

    # Round 2: p = 0.3 -> class 0's 3rd largest (0.8), class 1 floor(0.9) = 0 still.
    policy.start_round(2)
    assert policy.current_portion == pytest.approx(0.3)
    for image in _cbst_images():
        policy.observe(image)
    policy.finish_observation()
    assert policy.thresholds == pytest.approx([0.8, 1.0, 1.0], abs=1e-6)
    assert policy.label(image_b).tolist() == [[[0, IG, 0, IG, IG, IG, IG]]]


def test_class_balanced_portion_schedule_and_weighted_argmax():
    policy = ClassBalancedPolicy(portion=0.2, portion_step=0.05, max_portion=0.5)
    for round_idx, expected in [(0, 0.2), (1, 0.25), (6, 0.5), (20, 0.5)]:
        policy.start_round(round_idx)
        assert policy.current_portion == pytest.approx(expected)

    # argmax_c p_c / k_c can differ from argmax_c p_c: with k = (0.4, 0.9, 1), the pixel
    # (0.45, 0.5, 0.05) scores (1.125, 0.56, 0.05) and is labelled 0.
    policy.load_state_dict(dict(round_idx=0, thresholds=[0.4, 0.9, 1.0]))
    probs = torch.tensor([[0.45, 0.5, 0.05], [0.3, 0.68, 0.02], [0.02, 0.93, 0.05]]).T
    assert policy.label(probs.reshape(1, 3, 1, 3)).tolist() == [[[0, IG, 1]]]


def test_class_balanced_needs_observation_first():
    policy = ClassBalancedPolicy()
    policy.start_round(0)
    with pytest.raises(RuntimeError, match='observe'):
        policy.label(_cbst_images()[0])
    with pytest.raises(RuntimeError, match='observe'):
        policy.finish_observation()


def test_class_balanced_subsampling_is_bounded_deterministic_and_close():
    rng = np.random.default_rng(0)
    logits = torch.from_numpy(rng.normal(size=(6, 4, 20, 30)) * 2)
    probs = torch.softmax(logits, dim=1).float()

    def thresholds(**kwargs):
        policy = ClassBalancedPolicy(**kwargs)
        policy.start_round(0)
        for frame in probs.split(2):
            policy.observe(frame)
        cap = kwargs.get('max_samples_per_class', probs.numel())
        assert all(sum(v.size for v in chunks) <= cap for chunks in policy._values.values())
        policy.finish_observation()
        return policy.thresholds

    exact = thresholds()
    sampled = thresholds(max_samples_per_class=300, seed=1)
    assert np.array_equal(sampled, thresholds(max_samples_per_class=300, seed=1))
    assert not np.array_equal(sampled, exact)
    assert np.abs(sampled - exact).max() < 0.05
    assert np.array_equal(thresholds(max_samples_per_class=10 ** 6), exact)


def test_class_balanced_state_dict_round_trip():
    policy = ClassBalancedPolicy()
    policy.start_round(3)
    for image in _cbst_images():
        policy.observe(image)
    policy.finish_observation()
    state = policy.state_dict()
    assert state == dict(round_idx=3, thresholds=pytest.approx(list(policy.thresholds)))
    restored = ClassBalancedPolicy()
    restored.load_state_dict(state)
    assert restored.round_idx == 3 and restored.current_portion == pytest.approx(0.35)
    for image in _cbst_images():
        assert torch.equal(restored.label(image), policy.label(image))


# ----------------------------------------------------------------- IAST
def test_instance_adaptive_ema_over_a_sequence_of_images():
    policy = InstanceAdaptivePolicy(alpha=0.5, beta=0.5, gamma=1.0, init_threshold=0.8)
    assert not policy.two_pass
    policy.start_round(0)

    # Image 1, class 0: values {theta 0.8, 0.9, 0.7, 0.6, 0.5}; percentile 100 * (1 - 0.5 * 0.8)
    # = 60 -> position 0.6 * 4 = 2.4 of the sorted values -> 0.7 + 0.4 * 0.1 = 0.74;
    # theta_0 = 0.5 * 0.8 + 0.5 * 0.74 = 0.77. Class 1 is absent: its theta stays 0.8.
    image_1 = _probs([(0, 0.9), (0, 0.7), (0, 0.6), (0, 0.5)], 2)
    assert policy.label(image_1).tolist() == [[[0, IG, IG, IG]]]
    assert policy.theta == pytest.approx([0.77, 0.8], abs=1e-6)

    # Image 2, class 0: {0.77, 0.95, 0.85}, percentile 100 * (1 - 0.385) = 61.5 -> position
    # 1.23 -> 0.85 + 0.23 * 0.1 = 0.873; theta_0 = 0.5 * 0.77 + 0.5 * 0.873 = 0.8215.
    # Class 1: {0.8, 0.6}, percentile 60 -> 0.6 + 0.6 * 0.2 = 0.72; theta_1 = 0.76.
    image_2 = _probs([(0, 0.95), (0, 0.85), (1, 0.6)], 2)
    assert policy.label(image_2).tolist() == [[[0, 0, IG]]]
    assert policy.theta == pytest.approx([0.8215, 0.76], abs=1e-6)


def test_instance_adaptive_alpha_schedule():
    # IAST's configs: alpha 0.2, 0.25, 0.3 in self-training rounds 1-3.
    policy = InstanceAdaptivePolicy(alpha=0.2, alpha_step=0.05, max_alpha=0.3)
    for round_idx, expected in [(0, 0.2), (1, 0.25), (2, 0.3), (5, 0.3)]:
        policy.start_round(round_idx)
        assert policy.current_alpha == pytest.approx(expected)
    # Round 1 with alpha 0.4 + 0.1 = 0.5 gives the hand-computed update above.
    policy = InstanceAdaptivePolicy(alpha=0.4, alpha_step=0.1, beta=0.5, gamma=1.0, init_threshold=0.8)
    policy.start_round(1)
    policy.label(_probs([(0, 0.9), (0, 0.7), (0, 0.6), (0, 0.5)], 2))
    assert policy.theta == pytest.approx([0.77, 0.8], abs=1e-6)


def test_instance_adaptive_caps_theta_below_one():
    policy = InstanceAdaptivePolicy(alpha=0.5, beta=0.0, gamma=1.0, init_threshold=0.9)
    # Values {0.9, 1, 1, 1}, percentile 55 -> position 1.65 -> 1.0 -> set to 0.999.
    policy.label(_probs([(0, 1.0)] * 3, 2))
    assert policy.theta[0] == pytest.approx(0.999)


def test_instance_adaptive_theta_carry_over_or_reset():
    image = _probs([(0, 0.99), (0, 0.3), (1, 0.97)], 2)
    carried = InstanceAdaptivePolicy()
    reset = InstanceAdaptivePolicy(reset_each_round=True)
    for policy in (carried, reset):
        policy.start_round(0)
        policy.label(image)
    theta_after_round_0 = carried.theta.copy()
    assert not np.allclose(theta_after_round_0, 0.9)
    carried.start_round(1)
    reset.start_round(1)
    assert np.array_equal(carried.theta, theta_after_round_0)
    assert np.array_equal(reset.theta, [0.9, 0.9])


def test_instance_adaptive_state_dict_round_trip():
    rng = np.random.default_rng(0)
    images = torch.softmax(torch.from_numpy(rng.normal(size=(3, 2, 5, 8, 8)) * 3), dim=2).float()
    policy = InstanceAdaptivePolicy()
    policy.start_round(1)
    policy.label(images[0])
    restored = PSEUDO_LABEL_POLICIES.build(dict(type='InstanceAdaptivePolicy'))
    restored.load_state_dict(policy.state_dict())
    assert restored.round_idx == 1 and np.array_equal(restored.theta, policy.theta)
    for image in images[1:]:
        assert torch.equal(restored.label(image), policy.label(image))


# ----------------------------------------------------------------- clip-adaptive (Shin et al. (2021) Eq. 11)
def test_clip_adaptive_equals_iast_on_the_concatenated_clip():
    rng = np.random.default_rng(1)
    clips = torch.softmax(torch.from_numpy(rng.normal(size=(2, 4, 3, 6, 7)) * 2), dim=2).float()
    clip_policy = PSEUDO_LABEL_POLICIES.build(dict(type='ClipAdaptivePolicy'))
    assert isinstance(clip_policy, ClipAdaptivePolicy)
    iast = InstanceAdaptivePolicy()
    per_frame = InstanceAdaptivePolicy()
    for clip in clips:  # (K=4 frames, C, H, W): the clip is one instance
        labels = clip_policy.label(clip)
        assert torch.equal(labels, iast.label(torch.cat(list(clip.split(1)))))
        assert np.array_equal(clip_policy.theta, iast.theta)
        # One theta for every frame of the clip.
        conf, pred = clip.max(dim=1)
        theta = torch.from_numpy(clip_policy.theta).float()
        expected = torch.where(conf >= theta[pred], pred, torch.full_like(pred, IG))
        assert torch.equal(labels.long(), expected)
        for frame in clip.split(1):
            per_frame.label(frame)
    assert not np.allclose(per_frame.theta, clip_policy.theta)  # frame-wise IAST differs


# ----------------------------------------------------------------- CRST-LRENT labels
def test_lrent_soft_labels_closed_form():
    probs = torch.tensor([0.6, 0.4, 0.3, 0.7], dtype=torch.float64).view(2, 2).T.reshape(1, 2, 1, 2)
    soft, labels = lrent_soft_labels(probs, torch.tensor([0.5, 0.8]), alpha=0.5)
    # Pixel 0: (0.6 / 0.5)^2 = 1.44, (0.4 / 0.8)^2 = 0.25 -> (0.852, 0.148).
    assert soft[0, :, 0, 0].tolist() == pytest.approx([1.44 / 1.69, 0.25 / 1.69])
    # Selection: sum y (-log p + alpha log y) < sum y (-log k).
    y = [1.44 / 1.69, 0.25 / 1.69]
    reg = sum(yk * (-math.log(pk) + 0.5 * math.log(yk)) for yk, pk in zip(y, [0.6, 0.4]))
    sel = sum(yk * -math.log(kk) for yk, kk in zip(y, [0.5, 0.8]))
    assert (labels[0, 0, 0].item() == 0) == (reg < sel)
    # Pixel 1: (0.3 / 0.5)^2 = 0.36, (0.7 / 0.8)^2 = 0.765625.
    assert soft[0, :, 0, 1].tolist() == pytest.approx([0.36 / 1.125625, 0.765625 / 1.125625])


def test_label_entropy_policy_packs_crst_soft_labels_by_hand():
    # alpha = 0.5: y_k ~ (p_k / k_k)^2. Pixel 0: p = (.6, .3, .1), k = .5 -> (1.44, .36, .04):
    # the two largest are classes 0 and 1, share of class 0 1.44 / 1.8 = 0.8 -> 204; selected
    # (reg_score 0.388 < sel_score ln 2). Pixel 1: p = (.2, .35, .45), k = (.5, .5, .9) ->
    # (.16, .49, .25): classes 1 and 2, share .49 / .74 -> 169; reg_score 0.583 >= sel_score
    # 0.530, not selected (255).
    probs = torch.tensor([[0.6, 0.3, 0.1], [0.2, 0.35, 0.45]], dtype=torch.float64).T.reshape(1, 3, 1, 2)
    policy = PSEUDO_LABEL_POLICIES.build(dict(type='LabelEntropyPolicy', alpha=0.5))
    policy.thresholds = np.array([0.5, 0.5, 0.9])
    packed = policy.label_soft(probs)
    assert packed.dtype == torch.uint8 and packed.shape == (1, 1, 2, 3)
    assert packed[0, 0].tolist() == [[0, 1, 204], [255, 2, 169]]
    assert policy.label(probs)[0, 0].tolist() == [0, 255]  # the hard labels are channel 0
    # The same selection as the closed form (CRST's reg_score < sel_score).
    _, hard = lrent_soft_labels(probs, torch.tensor([0.5, 0.5, 0.9]), alpha=0.5)
    assert hard[0, 0].tolist() == [0, 255]
    # decode: the soft label read back, truncated to two classes and quantised to 1/255.
    first, second, weight = decode_top2(packed)
    assert first[0, 0].tolist() == [0, 255] and second[0, 0].tolist() == [1, 2]
    assert weight[0, 0].tolist() == pytest.approx([204 / 255, 169 / 255])
    assert policy.soft_labels and not ClassBalancedPolicy().__class__.__dict__.get('soft_labels')
