"""Online pseudo-label filters (DACS / DAFormer's confidence weight, thresholds, border rows) by hand."""
import pytest
import torch

from uda_toolbox.pseudo_labels.online import (
    BorderWeight,
    ConfidenceThreshold,
    ConfidenceWeight,
    build_filters,
    confident_share,
    online_pseudo_labels,
)

IGNORE = 255


def _probs():
    """(N=1, T=2, C=2, H=1, W=4): top probabilities 0.99, 0.968, 0.96, 0.6 in frame 0 and
    0.97, 0.5, 0.98, 0.9 in frame 1; class 1 wins where p1 is given."""
    p1 = torch.tensor([[[0.99, 0.968, 0.04, 0.6]], [[0.03, 0.5, 0.98, 0.1]]])
    return torch.stack([1 - p1, p1], dim=1)[None]  # (1, 2, 2, 1, 4)


def test_confidence_weight_is_the_confident_share():
    probs = _probs()
    labels, weights = ConfidenceWeight(threshold=0.968)(probs)
    assert labels.tolist() == [[[[1, 1, 0, 1]], [[0, 0, 1, 0]]]]  # 0.5 ties -> class 0 (argmax)
    # >= 0.968: 0.99, 0.968, 0.96 (class 0) no, 0.97, 0.98 -> 4 of 8 pixels.
    assert torch.allclose(weights, torch.full((1, 2, 1, 4), 4 / 8))
    assert float(confident_share(probs, 0.968)) == 0.5
    assert float(confident_share(probs, 0.99)) == 1 / 8
    with pytest.raises(ValueError, match='threshold'):
        ConfidenceWeight(threshold=1.5)


def test_threshold_border_and_chain():
    probs = _probs()
    labels, weights = ConfidenceThreshold(0.9)(probs)
    assert labels.tolist() == [[[[1, 1, 0, IGNORE]], [[0, IGNORE, 1, 0]]]]
    assert torch.equal(weights, torch.ones(1, 2, 1, 4))
    tall = torch.rand(1, 1, 3, 6, 2).softmax(2)
    _, border = BorderWeight(top=1, bottom=2)(tall)
    assert border[0, 0, :, 0].tolist() == [0, 1, 1, 1, 0, 0]
    # The chain: ignored where any filter ignores, weights multiply.
    filters = build_filters([dict(type='ConfidenceWeight', threshold=0.968),
                             dict(type='ConfidenceThreshold', threshold=0.9)])
    labels, weights = online_pseudo_labels(probs, None, filters)
    assert labels.tolist() == [[[[1, 1, 0, IGNORE]], [[0, IGNORE, 1, 0]]]]
    assert torch.allclose(weights, torch.full_like(weights, 0.5))
    # A callable (probs, batch) -> (labels, weights) is a filter too (the video filters' form).
    seen = {}

    def drop_frame_0(p, batch):
        seen['batch'] = batch
        out = p.argmax(-3)
        out[:, 0] = IGNORE
        return out, torch.ones_like(out, dtype=p.dtype)

    labels, _ = online_pseudo_labels(probs, {'flows': 'here'}, filters + [drop_frame_0])
    assert (labels[:, 0] == IGNORE).all() and seen['batch'] == {'flows': 'here'}
