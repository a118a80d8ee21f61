"""CRST-LRENT's packed soft labels (issue 24): ``LabelEntropyPolicy.label_soft`` computes them
frame by frame with ``lrent_packed_labels`` (log(p + eps) once, ``amax`` instead of ``argmax``
and ``topk``, ``encode_top2`` only for tied pixels); every byte must equal the first
implementation's, frozen below (do not edit it)."""
import numpy as np
import pytest
import torch

from uda_toolbox.pseudo_labels import LabelEntropyPolicy, lrent_soft_labels
from uda_toolbox.pseudo_labels.policies import lrent_packed_labels
from uda_toolbox.utils.soft_labels import encode_top2


def frozen_lrent_soft_labels(probs, class_thresholds, alpha=0.25):
    """lrent_soft_labels before issue 24 (frozen copy)."""
    eps = 1e-32
    k = torch.as_tensor(class_thresholds, dtype=torch.float64, device=probs.device).view(1, -1, 1, 1)
    p = probs.detach().double()
    log_ratio = (torch.log(p + eps) - torch.log(k)) / alpha
    soft = torch.softmax(log_ratio, dim=1)
    reg_score = (soft * (-torch.log(p + eps) + alpha * torch.log(soft + eps))).sum(dim=1)
    sel_score = (soft * -torch.log(k + eps)).sum(dim=1)
    pred = soft.argmax(dim=1)
    labels = torch.where(reg_score < sel_score, pred, torch.full_like(pred, 255))
    return soft, labels.to(torch.uint8)


def frozen_packed(probs, thresholds, alpha):
    return encode_top2(*frozen_lrent_soft_labels(probs, thresholds, alpha))


def random_probs(seed, frames=3, classes=15, shape=(9, 13), sharpness=3.0, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(frames, classes, *shape, generator=gen) * sharpness).softmax(1).to(dtype)


def tied_probs(seed, classes=6):
    """Probabilities with ties at the top and at the second place, exact zeros (saturated
    softmax: log(0 + eps) of several classes) and uniform pixels."""
    gen = torch.Generator().manual_seed(seed)
    levels = torch.tensor([0.0, 0.05, 0.1, 0.2, 0.25, 0.4])
    raw = levels[torch.randint(0, len(levels), (4, classes, 7, 8), generator=gen)]
    raw[:, :, 0, 0] = 1.0  # uniform pixels
    raw[:, :, 1, :] = 0.0
    raw[:, 0, 1, :] = 1.0  # one class 1, the others exactly 0 (ties below the top)
    return (raw / raw.sum(1, keepdim=True).clamp_min(1e-12)).float()


@pytest.mark.parametrize('seed', range(3))
@pytest.mark.parametrize('alpha', [0.25, 0.5, 1.0])
def test_packed_labels_equal_the_first_implementation(seed, alpha):
    probs = random_probs(seed)
    gen = torch.Generator().manual_seed(100 + seed)
    thresholds = (torch.rand(15, generator=gen, dtype=torch.float64) * 0.6 + 0.3).numpy()
    assert torch.equal(lrent_packed_labels(probs, torch.as_tensor(thresholds), alpha),
                       frozen_packed(probs, thresholds, alpha))
    soft, labels = lrent_soft_labels(probs, torch.as_tensor(thresholds), alpha)
    ref_soft, ref_labels = frozen_lrent_soft_labels(probs, thresholds, alpha)
    assert torch.equal(soft, ref_soft) and torch.equal(labels, ref_labels)


@pytest.mark.parametrize('seed', range(3))
def test_ties_and_equal_thresholds_are_packed_as_topk_packs_them(seed):
    probs = tied_probs(seed)
    for thresholds in (np.full(6, 0.5), np.array([0.5, 0.5, 0.9, 0.9, 0.3, 0.3])):
        packed = lrent_packed_labels(probs, torch.as_tensor(thresholds), 0.25)
        assert torch.equal(packed, frozen_packed(probs, thresholds, 0.25))
    # The fallback was needed: some pixels have tied soft labels at the top.
    soft, _ = frozen_lrent_soft_labels(probs, np.full(6, 0.5))
    top2 = soft.topk(2, dim=1).values
    assert bool((top2[:, 0] == top2[:, 1]).any())


def test_policy_labels_frame_by_frame_as_the_whole_clip():
    probs = random_probs(5, frames=4, classes=5, sharpness=6.0)
    policy = LabelEntropyPolicy(alpha=0.25)
    policy.thresholds = np.array([0.9, 0.5, 0.7, 0.2, 0.6])
    packed = policy.label_soft(probs)
    assert torch.equal(packed, frozen_packed(probs, policy.thresholds, 0.25))
    assert torch.equal(policy.label(probs), packed[..., 0])


def test_float64_input_is_not_modified_and_nan_and_two_classes_match():
    probs = random_probs(7, classes=2, dtype=torch.float64)
    before = probs.clone()
    thresholds = torch.tensor([0.4, 0.6], dtype=torch.float64)
    assert torch.equal(lrent_packed_labels(probs, thresholds), frozen_packed(probs, thresholds, 0.25))
    assert torch.equal(probs, before)
    probs[0, :, 2, 3] = float('nan')
    probs[1, 0, 4, 4] = float('nan')
    assert torch.equal(lrent_packed_labels(probs, thresholds), frozen_packed(probs, thresholds, 0.25))
    with pytest.raises(ValueError, match='encode_top2'):
        lrent_packed_labels(probs[:, :1], thresholds[:1])
