"""The adaptors' segmentation loss is the head's configured loss_decode (no unused mmseg entry in the
configs): the configs' CrossEntropyLoss(avg_non_ignore=True) is Eq. 3's cross-entropy over the
labelled pixels, bit for bit, and changing loss_decode changes the loss as in mmseg."""
import pytest
import torch
from conftest import build_from_config

from uda_toolbox.models.losses import masked_cross_entropy


def _logits_labels(seed=0, labelled=300):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 2, 15, 16, 32, generator=g)
    labels = torch.full((2, 2, 16, 32), 255, dtype=torch.long)
    where = torch.randperm(labels.numel(), generator=g)[:labelled]
    labels.view(-1)[where] = torch.randint(0, 15, (labelled,), generator=g)
    return logits, labels


@pytest.mark.parametrize('config', ['configs/source_only/synthetic.py',
                                    'configs/adaptsegnet/synthetic_multi_level.py'])
def test_configured_loss_is_eq3_to_the_bit(repo_root, config):
    model, _ = build_from_config(repo_root / config)
    logits, labels = _logits_labels()
    pooled = masked_cross_entropy(logits.flatten(0, 1), labels.flatten(0, 1))
    assert torch.equal(model.seg_loss(logits, labels), pooled)
    per_position = sum(masked_cross_entropy(logits[:, t], labels[:, t]) for t in range(2))
    assert torch.equal(model.seg_loss(logits, labels, 'sum'), per_position)
    if model.segmentor.with_auxiliary_head:
        assert torch.equal(model.seg_loss(logits, labels, level='aux'), pooled)
    # No labelled pixel: 0, not NaN (a frame without labels in a batch).
    assert model.seg_loss(logits, torch.full_like(labels, 255)).item() == 0.0


def test_loss_decode_settings_take_effect(repo_root):
    logits, labels = _logits_labels(seed=1)
    head = 'segmentor.decode_head.loss_decode'
    plain, _ = build_from_config(repo_root / 'configs/source_only/synthetic.py')
    weighted, _ = build_from_config(repo_root / 'configs/source_only/synthetic.py',
                                    **{f'{head}.loss_weight': 2.0})
    assert torch.equal(weighted.seg_loss(logits, labels), 2 * plain.seg_loss(logits, labels))
    with pytest.raises(ValueError, match=r'decode_head\.loss_decode.*avg_non_ignore=True'):
        build_from_config(repo_root / 'configs/source_only/synthetic.py',
                          **{f'{head}.avg_non_ignore': False})
