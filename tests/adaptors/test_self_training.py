"""CBST / CRST / IAST / VST losses on in-memory batches, and VST's online refinement by hand."""
import math

import pytest
import torch

IGNORE = 255


@pytest.fixture
def self_training_batch(clip_batch):
    """Source and target both labelled (the target's labels stand for pseudo labels)."""
    def make(seed=0):
        target = clip_batch(seed=seed + 100, shift=-30)
        for labels in target['gt_seg']:  # some ignored pixels, as a policy leaves
            labels[:, :8] = IGNORE
        # Soft labels (CRST's LR-ENT): 0.9 on the label, 0.1 on the next class.
        target['gt_soft'] = [torch.stack([labels, (labels + 1) % 4, torch.full_like(labels, 230)],
                                         dim=-1) for labels in target['gt_seg']]
        return dict(source=clip_batch(seed=seed), target=target)
    return make


@pytest.mark.parametrize('config,terms', [
    ('configs/cbst/synthetic.py', {'loss_seg_src', 'loss_seg_tgt'}),
    ('configs/crst/synthetic.py', {'loss_seg_src', 'loss_seg_tgt', 'loss_mrkld'}),
    ('configs/crst/synthetic_lrent.py', {'loss_seg_src', 'loss_seg_tgt'}),  # labels regularised
    ('configs/iast/synthetic.py', {'loss_seg_tgt', 'loss_reg_ent', 'loss_reg_kld'}),
])
def test_losses_and_learning(adaptor_from_config, self_training_batch, assert_learns, config,
                             terms):
    model, optim = adaptor_from_config(config)
    batches = [self_training_batch(0), self_training_batch(1)]
    model.train()
    logs = [model.train_step(batches[i % 2], optim) for i in range(16)]
    assert {k for k in logs[0] if k.startswith('loss_')} == terms
    assert 0 < float(logs[0]['tgt_labelled']) < 1
    assert_learns(logs, key='loss_seg_tgt')


def test_crst_regularizer_weight_and_choice(adaptor_from_config, self_training_batch):
    with pytest.raises(ValueError, match='regularizer'):
        adaptor_from_config('configs/crst/synthetic.py', regularizer='entropy')
    model, _ = adaptor_from_config('configs/crst/synthetic.py', lambda_reg=0.0)
    data = model.data_preprocessor(self_training_batch(), True)
    assert 'loss_mrkld' not in model.loss(data['source'], data['target'])
    # MR-ENT (the toolbox's "LR-ENT" before issue 16) stays an option on hard labels.
    model, _ = adaptor_from_config('configs/crst/synthetic.py', regularizer='mrent', lambda_reg=0.25)
    assert 'loss_mrent' in model.loss(data['source'], data['target'])
    # LR-ENT's weight is the policy's alpha: a model weight would be silently meaningless.
    with pytest.raises(ValueError, match='LabelEntropyPolicy'):
        adaptor_from_config('configs/crst/synthetic_lrent.py', lambda_reg=0.25)
    model, _ = adaptor_from_config('configs/crst/synthetic_lrent.py')
    del data['target']['gt_soft']
    with pytest.raises(ValueError, match='LoadClipSoftLabels'):
        model.loss(data['source'], data['target'])


def test_crst_lrent_trains_on_the_soft_labels_by_hand(adaptor_from_config):
    # One target clip (t - 1, t) of 1 x 2 pixels, 15 classes, uniform scores: log p = -ln 15 for
    # every class, so the soft cross-entropy is ln 15 whatever the weights. Make class 0 score
    # ln 3 instead (p_0 = 3 / 17, the other 14 classes 1 / 17): pixel a, soft label 0.8 on class 0
    # and 0.2 on class 1 -> 0.8 ln(17/3) + 0.2 ln 17; pixel b unlabelled (first = 255); frame t:
    # pixel c all on class 1 (w = 1) -> ln 17.
    logits = torch.zeros(1, 2, 15, 1, 2)
    logits[:, :, 0] = math.log(3.0)
    soft = torch.tensor([[[[[0, 1, 204], [255, 0, 0]]], [[[1, 0, 255], [255, 0, 0]]]]],
                        dtype=torch.uint8)  # (N, T, H, W, 3): 204 / 255 = 0.8
    labels = soft[..., 0].long()
    model, _ = adaptor_from_config('configs/crst/synthetic_lrent.py', lambda_seg_s=0.0)
    model.segment = lambda frames: logits.clone().requires_grad_()
    target = dict(inputs=torch.zeros(1, 2, 3, 1, 2), gt_seg=labels, gt_soft=soft)
    loss = model.loss(target, target)['loss_seg_tgt']
    a = 0.8 * math.log(17 / 3) + 0.2 * math.log(17)
    assert float(loss) == pytest.approx((a + math.log(17)) / 2, rel=1e-6)  # pooled: 2 pixels


def _vst(adaptor_from_config, refine, both=True, **options):
    model, _ = adaptor_from_config('configs/vst/synthetic.py', refine=refine,
                                   refine_both_frames=both, **options)
    return model


def test_vst_cutout_by_hand(adaptor_from_config):
    model = _vst(adaptor_from_config, 'cutout')
    # One clip (t - 1, t) of 1 x 4 pixels; the scene moves one pixel right from t - 1 to t, so the
    # flow from t to t - 1 is dx = -1 (pixel x of t shows what was at x - 1).
    ref = torch.tensor([[1, 2, 3, IGNORE]])
    cur = torch.tensor([[0, 1, 5, 3]])
    flow = torch.zeros(1, 1, 2, 1, 4)
    flow[:, :, 0] = -1.0
    # The whole scene moves, so the flow from t - 1 to t is dx = +1 everywhere.
    target = dict(gt_seg=torch.stack([ref, cur])[None], flows=flow, flows_fw=-flow,
                  inputs=torch.zeros(1, 2, 3, 1, 4))
    out = model.target_labels(target)[0]
    # Frame t: x=0 has no source (out of bounds), x=1 agrees (1), x=2 disagrees (5 vs 2),
    # x=3 agrees (3).
    assert out[1].tolist() == [[IGNORE, 1, IGNORE, 3]]
    # Frame t - 1 against t with the flow from t - 1 to t (dx = +1): x=0 -> cur[1]=1 agrees,
    # x=1 -> 5 no, x=2 -> 3 agrees, x=3 out of bounds.
    assert out[0].tolist() == [[1, IGNORE, 3, IGNORE]]
    only_current = _vst(adaptor_from_config, 'cutout', both=False).target_labels(target)[0]
    assert only_current[0].tolist() == ref.tolist()


def test_vst_fillin_by_hand(adaptor_from_config):
    model = _vst(adaptor_from_config, 'fillin', both=False)
    ref = torch.tensor([[1, 2, 3, 4]])
    cur = torch.tensor([[IGNORE, 7, IGNORE, IGNORE]])
    flow = torch.zeros(1, 1, 2, 1, 4)  # static scene, identical frames: nothing occluded
    frames = model.data_preprocessor.mean.view(1, 1, 3, 1, 1).expand(1, 2, 3, 1, 4) * 0
    target = dict(gt_seg=torch.stack([ref, cur])[None], flows=flow, inputs=frames.clone())
    out = model.target_labels(target)[0]
    assert out[1].tolist() == [[1, 7, 3, 4]]  # Eq. 14: labelled pixels kept, the rest filled in
    # Where frame t looks different from frame t - 1 (occluded), nothing is filled in.
    frames = frames.clone()
    frames[0, 1, :, :, 2:] = 3.0  # normalised units: far from the reference frame's pixels
    target['inputs'] = frames
    assert model.target_labels(target)[0][1].tolist() == [[1, 7, IGNORE, IGNORE]]


def test_vst_needs_flow_and_none_keeps_labels(adaptor_from_config):
    labels = torch.randint(0, 3, (2, 2, 4, 4))
    model = _vst(adaptor_from_config, 'cutout')
    with pytest.raises(ValueError, match='LoadClipFlow'):
        model.target_labels(dict(gt_seg=labels, inputs=torch.zeros(2, 2, 3, 4, 4)))
    plain = _vst(adaptor_from_config, None)
    assert torch.equal(plain.target_labels(dict(gt_seg=labels)), labels)
    with pytest.raises(ValueError, match='refine'):
        _vst(adaptor_from_config, 'smooth')


def test_vst_trains_both_frames_without_source(adaptor_from_config, self_training_batch,
                                                assert_learns):
    model, optim = adaptor_from_config('configs/vst/synthetic.py')
    batches = []
    for seed in (0, 1):
        batch = self_training_batch(seed)
        batch['target']['flows'] = [torch.zeros(1, 2, 32, 64)] * 2  # static: cut-out keeps agreements
        batch['target']['flows_fw'] = [torch.zeros(1, 2, 32, 64)] * 2
        batches.append(batch)
    model.train()
    logs = [model.train_step(batches[i % 2], optim) for i in range(16)]
    assert 'loss_seg_src' not in logs[0]  # Eq. 13: target terms only
    assert {'loss_seg_tgt', 'loss_reg_ent', 'loss_reg_kld'} <= set(logs[0])
    assert_learns(logs, key='loss_seg_tgt')


def _two_frame_logits():
    """One clip (t - 1, t) of 1 x 4 pixels, 15 classes. Frame t - 1: one labelled pixel with
    uniform scores (cross-entropy ln 15); frame t: three labelled pixels scoring class 0 at ln 2
    and every other class at 0, so p_0 = 2 / 16 (cross-entropy ln 8)."""
    logits = torch.zeros(1, 2, 15, 1, 4)
    logits[0, 1, 0] = math.log(2.0)
    labels = torch.tensor([[[[0, IGNORE, IGNORE, IGNORE]], [[0, 0, 0, IGNORE]]]])
    return logits, labels


@pytest.mark.parametrize('config,expected', [
    # Eq. 13 of Shin et al. (2021): L_seg of each frame (its own mean), summed over the frames.
    ('configs/vst/synthetic.py', math.log(15) + math.log(8)),
    # Image methods: each frame is an image and the batch's cross-entropy averages every labelled
    # pixel of the batch (CRST code: ce / valid_num; IAST code: CrossEntropyLoss' mean).
    ('configs/cbst/synthetic.py', (math.log(15) + 3 * math.log(8)) / 4),
    ('configs/crst/synthetic.py', (math.log(15) + 3 * math.log(8)) / 4),
    ('configs/iast/synthetic.py', (math.log(15) + 3 * math.log(8)) / 4),
])
def test_frame_reduction_follows_each_paper(adaptor_from_config, config, expected):
    logits, labels = _two_frame_logits()
    options = dict(refine=None) if 'vst' in config else {}
    model, _ = adaptor_from_config(config, **options)
    model.segment = lambda frames: logits.clone().requires_grad_()
    batch = dict(inputs=torch.zeros(1, 2, 3, 1, 4), gt_seg=labels)
    losses = model.loss(batch, batch)
    assert float(losses['loss_seg_tgt']) == pytest.approx(expected, rel=1e-6)


def test_vst_regularizer_is_summed_over_the_frames(adaptor_from_config):
    from uda_toolbox.models.losses import iast_regularizer
    logits, labels = _two_frame_logits()
    model, _ = adaptor_from_config('configs/vst/synthetic.py', refine=None)
    model.segment = lambda frames: logits.clone().requires_grad_()
    batch = dict(inputs=torch.zeros(1, 2, 3, 1, 4), gt_seg=labels)
    losses = model.loss(batch, batch)
    per_frame = [iast_regularizer(logits[:, k], labels[:, k]) for k in range(2)]
    for name in ('loss_reg_ent', 'loss_reg_kld'):
        assert float(losses[name]) == pytest.approx(float(sum(t[name] for t in per_frame)), rel=1e-6)


def _moving_square():
    """Frames (t - 1, t) of 12 x 16 pixels: background 0 and a 6 x 6 object (class 1) that moves
    3 pixels right, at columns 2-7 of frame t - 1 and 5-10 of frame t (rows 3-8); perfect labels
    and exact flows: from t to t - 1 (dx = -3 on the object at t) and from t - 1 to t (dx = +3 on
    the object at t - 1)."""
    labels = torch.zeros(2, 12, 16, dtype=torch.long)
    labels[0, 3:9, 2:8] = 1
    labels[1, 3:9, 5:11] = 1
    to_prev = torch.zeros(1, 1, 2, 12, 16)
    to_prev[0, 0, 0, 3:9, 5:11] = -3.0
    to_next = torch.zeros(1, 1, 2, 12, 16)
    to_next[0, 0, 0, 3:9, 2:8] = 3.0
    return labels, to_prev, to_next


def test_vst_refines_frame_t_minus_tau_with_its_own_flow(adaptor_from_config):
    labels, to_prev, to_next = _moving_square()
    model = _vst(adaptor_from_config, 'cutout')
    target = dict(gt_seg=labels[None], flows=to_prev, flows_fw=to_next,
                  inputs=torch.zeros(1, 2, 3, 12, 16))
    out = model.target_labels(target)[0]
    # Frame t: the background uncovered behind the object (rows 3-8, columns 2-4) was object at
    # t - 1: no consensus, cut (18 pixels). Everything else agrees.
    expected_t = labels[1].clone()
    expected_t[3:9, 2:5] = IGNORE
    assert torch.equal(out[1], expected_t)
    # Frame t - 1 with the flow from t - 1 to t: the whole object is kept; the background the
    # object covers at t (rows 3-8, columns 8-10) is occluded there and cut (18 pixels).
    expected_prev = labels[0].clone()
    expected_prev[3:9, 8:11] = IGNORE
    assert torch.equal(out[0], expected_prev)

    # Without the flow from t - 1 to t it is an error, unless the negation fallback is asked
    # for: the negated flow of frame t sampled on frame t - 1 cuts 18 correct object pixels
    # (columns 2-4) and keeps the 18 occluded background pixels.
    del target['flows_fw']
    with pytest.raises(ValueError, match='with_forward'):
        model.target_labels(target)
    fallback = _vst(adaptor_from_config, 'cutout', negated_flow_fallback=True)
    out = fallback.target_labels(target)[0]
    expected_negated = labels[0].clone()
    expected_negated[3:9, 2:5] = IGNORE
    assert torch.equal(out[0], expected_negated)
