"""STPL (our reading): the spatio-temporal contrastive loss on a hand-made clip equals a hand
computation (temperature, positives across frames, invalid warps masked); teacher labels."""
import math

import pytest
import torch
import torch.nn.functional as F

from uda_toolbox.adaptors.stpl import resize_flow, warp_to_current

IGNORE = 255


def _stpl(adaptor_from_config, **options):
    model, _ = adaptor_from_config('configs/stpl/synthetic.py', **options)
    return model


def _hand_loss(keys, key_labels, anchors, tau):
    """Mean over anchors (index into keys) of Wang et al.'s per-positive InfoNCE, by loops."""
    total, count = 0.0, 0
    for a in anchors:
        positives = [p for p in range(len(keys)) if p != a and key_labels[p] == key_labels[a]]
        negatives = [n for n in range(len(keys)) if key_labels[n] != key_labels[a]]
        if not positives:
            continue
        s = [float(keys[a] @ keys[j]) / tau for j in range(len(keys))]
        terms = [-math.log(math.exp(s[p]) / (math.exp(s[p]) + sum(math.exp(s[n]) for n in negatives)))
                 for p in positives]
        total += sum(terms) / len(terms)
        count += 1
    return total / count


def _clip(h=2, w=3, seed=0):
    """(embeddings (1, 2, 2, h, w) unit 2-d vectors, labels (1, 2, h, w))."""
    g = torch.Generator().manual_seed(seed)
    angles = torch.rand(1, 2, h, w, generator=g, dtype=torch.float64) * 2 * math.pi
    embeddings = torch.stack([angles.cos(), angles.sin()], dim=2)
    return embeddings


def test_spatio_temporal_contrast_equals_hand_computation(adaptor_from_config):
    tau = 0.3
    model = _stpl(adaptor_from_config, temperature=tau, occlusion_check=False,
                  anchors_per_class=100, max_anchors=1000)
    emb = _clip()
    # frame t - 1 and frame t; 255 = no pseudo label
    labels = torch.tensor([[[[0, 1, 1], [0, IGNORE, 1]],
                            [[0, 0, 1], [IGNORE, 1, 1]]]])
    # flow t -> t-1: every pixel of frame t comes from one column to the right in frame t-1, so
    # the last column leaves the frame (invalid warp)
    flows = torch.zeros(1, 1, 2, 2, 3, dtype=torch.float64)
    flows[:, :, 0] = 1.0
    frames = torch.zeros(1, 2, 3, 2, 3)
    per_anchor = model.spatio_temporal_contrast(emb, labels, frames, flows)

    # the spatio-temporal set by hand: frame t's labelled pixels, then frame t-1's pixel
    # (y, x + 1) moved to (y, x) for x = 0, 1 (x = 2 is out of bounds) when labelled
    keys, key_labels = [], []
    for y in range(2):
        for x in range(3):
            if labels[0, 1, y, x] != IGNORE:
                keys.append(emb[0, 1, :, y, x])
                key_labels.append(int(labels[0, 1, y, x]))
    anchors = list(range(len(keys)))  # every labelled pixel of frame t (<= 100 per class)
    for y in range(2):
        for x in range(2):
            if labels[0, 0, y, x + 1] != IGNORE:
                keys.append(emb[0, 0, :, y, x + 1])
                key_labels.append(int(labels[0, 0, y, x + 1]))
    expected = _hand_loss(torch.stack(keys), key_labels, anchors, tau)
    assert per_anchor.numel() == len(anchors)
    assert per_anchor.mean().item() == pytest.approx(expected, rel=1e-6)
    # the warped frame matters: without it (past_frames=0) the value differs
    model.past_frames = 0
    alone = model.spatio_temporal_contrast(emb, labels, frames, flows)
    expected_alone = _hand_loss(torch.stack(keys[:len(anchors)]), key_labels[:len(anchors)],
                                anchors, tau)
    assert alone.mean().item() == pytest.approx(expected_alone, rel=1e-6)
    assert abs(expected_alone - expected) > 1e-3


def test_occluded_warps_leave_the_set(adaptor_from_config):
    """Eq. 10's photometric test: a past pixel whose colour does not match frame t is dropped."""
    tau = 0.3
    model = _stpl(adaptor_from_config, temperature=tau, occlusion_check=True)
    emb = _clip(h=1, w=2, seed=3)
    labels = torch.tensor([[[[0, 1]], [[0, 1]]]])
    flows = torch.zeros(1, 1, 2, 1, 2, dtype=torch.float64)  # no motion
    # frames in pixel values through the data preprocessor's normalisation: pixel (0, 1) of frame
    # t-1 is white where frame t is black (occluded); pixel (0, 0) matches
    mean = torch.tensor(model.data_preprocessor.mean).view(3, 1, 1)
    std = torch.tensor(model.data_preprocessor.std).view(3, 1, 1)
    raw = torch.zeros(1, 2, 3, 1, 2)
    raw[0, 0, :, 0, 1] = 255.0
    frames = (raw - mean) / std
    per_anchor = model.spatio_temporal_contrast(emb, labels, frames, flows)
    keys = torch.stack([emb[0, 1, :, 0, 0], emb[0, 1, :, 0, 1], emb[0, 0, :, 0, 0]])
    expected = _hand_loss(keys, [0, 1, 0], [0, 1], tau)  # anchor 1 (class 1) has no positive left
    assert per_anchor.numel() == 1
    assert per_anchor.mean().item() == pytest.approx(expected, rel=1e-6)


def test_anchor_sampling_caps_per_class(adaptor_from_config):
    model = _stpl(adaptor_from_config, anchors_per_class=3, max_anchors=4)
    labels = torch.tensor([0] * 10 + [1] * 10 + [2] * 2 + [IGNORE] * 5)
    picked = model._sample_anchors(labels)
    # 3 classes share 4 anchors: 1 per class (max_anchors // classes), none ignored
    assert sorted(labels[picked].tolist()) == [0, 1, 2]
    model.max_anchors = 1000
    picked = model._sample_anchors(labels)
    assert sorted(labels[picked].tolist()) == [0, 0, 0, 1, 1, 1, 2, 2]
    assert len(set(picked.tolist())) == len(picked)


def test_warp_chain_and_flow_resize():
    x = torch.arange(6.0).view(1, 1, 1, 6)
    one = torch.zeros(1, 2, 1, 6)
    one[:, 0] = 1.0
    # two steps of +1 column: frame s content reaches frame s + 2 shifted by 2
    warped, valid = warp_to_current(x, [one, one], 'nearest')
    assert warped[0, 0, 0, :4].tolist() == [2.0, 3.0, 4.0, 5.0]
    assert valid[0, 0, 0].tolist() == [True, True, True, True, False, False]
    flow = torch.ones(1, 2, 4, 8) * torch.tensor([4.0, 2.0]).view(1, 2, 1, 1)
    small = resize_flow(flow, (2, 4))
    assert torch.allclose(small[:, 0], torch.full((1, 2, 4), 2.0))
    assert torch.allclose(small[:, 1], torch.full((1, 2, 4), 1.0))


def test_teacher_labels_threshold_and_missing_flow_error(adaptor_from_config):
    model = _stpl(adaptor_from_config, confidence_threshold=0.99)
    model.reset_copy('teacher')
    frames = torch.randn(1, 2, 3, 16, 32)
    labels = model.teacher_labels(frames)
    probs = model.copy_network('teacher')(frames)['logits'].softmax(2)
    assert torch.equal(labels == IGNORE, probs.max(2)[0] < 0.99)
    with pytest.raises(ValueError, match='LoadClipFlow'):
        model.spatio_temporal_contrast(F.normalize(torch.randn(1, 2, 4, 4, 8), dim=2),
                                       torch.zeros(1, 2, 16, 32, dtype=torch.long), frames, None)
