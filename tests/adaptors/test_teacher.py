"""The online teacher of DACS / DAFormer / MIC: EMA on hand values, pseudo-label weighting, the ClassMix
and MIC terms, DAFormer's ImageNet feature distance and the teacher's place in the state dict."""
import copy

import pytest
import torch

IGNORE = 255


def _fill(module, value):
    with torch.no_grad():
        for p in module.parameters():
            p.fill_(value)


def test_ema_update_on_hand_values(adaptor_from_config):
    model, _ = adaptor_from_config('configs/dacs/synthetic.py', ema_alpha=0.99)
    bn = 'backbone.layers.0.bn.running_mean'
    teacher_stats = model.teacher.state_dict()[bn].clone()
    _fill(model.segmentor, 2.0)
    model.update_teacher()  # step 0: the teacher takes the student's weights
    assert all(float(p.flatten()[0]) == 2.0 for p in model.teacher.parameters())
    _fill(model.segmentor, 4.0)
    model.update_teacher()  # step 1: a = min(1 - 1/2, 0.99) = 0.5 -> 0.5 * 2 + 0.5 * 4
    assert all(torch.allclose(p, torch.full_like(p, 3.0)) for p in model.teacher.parameters())
    _fill(model.segmentor, 6.0)
    model.update_teacher()  # step 2: a = 2/3 -> 2/3 * 3 + 1/3 * 6
    assert all(torch.allclose(p, torch.full_like(p, 4.0)) for p in model.teacher.parameters())
    assert int(model.teacher_updates) == 3
    # Only parameters are averaged; the teacher's BatchNorm statistics are its own.
    assert torch.equal(model.teacher.state_dict()[bn], teacher_stats)
    # Later the coefficient is capped at alpha: min(1 - 1/1001, 0.99) = 0.99.
    assert model.ema_coefficient(1000) == 0.99 and model.ema_coefficient(1) == 0.5
    model.teacher_updates.fill_(1000)
    _fill(model.segmentor, 104.0)
    model.update_teacher()  # 0.99 * 4 + 0.01 * 104 = 5
    assert all(torch.allclose(p, torch.full_like(p, 5.0)) for p in model.teacher.parameters())


def test_frozen_teacher(adaptor_from_config):
    model, _ = adaptor_from_config('configs/dacs/synthetic.py', ema_alpha=None)
    _fill(model.segmentor, 1.0)
    model.update_teacher()
    _fill(model.segmentor, 9.0)
    model.update_teacher()
    assert all(torch.equal(p, torch.ones_like(p)) for p in model.teacher.parameters())
    assert not any(p.requires_grad for p in model.teacher.parameters())


def test_teacher_labels_are_weighted_by_the_confident_share(adaptor_from_config, monkeypatch):
    model, _ = adaptor_from_config('configs/dacs/synthetic.py')
    probs = torch.zeros(1, 2, 15, 1, 4)
    top = torch.tensor([[0.99, 0.5, 0.97, 0.2], [0.968, 0.9, 0.1, 0.999]])  # (T, W)
    probs[0, :, 3] = top[:, None, :]
    probs[0, :, 7] = (1 - top)[:, None, :]
    monkeypatch.setattr(model, 'teacher_probs', lambda frames: probs)
    labels, weights = model.pseudo_labels(dict(inputs=torch.zeros(1, 2, 3, 1, 4)))
    assert labels[0, :, 0].tolist() == [[3, 3, 3, 7], [3, 3, 7, 3]]
    # Top probabilities >= 0.968: 0.99, 0.97, 0.968 (>=, as the codes), 0.999 -> 4 of 8 pixels
    # (0.9 and class 7's 0.8 and 0.9 are below).
    assert torch.allclose(weights, torch.full((1, 2, 1, 4), 4 / 8))


def test_teacher_forward_has_no_dropout_and_restores_modes(adaptor_from_config, uda_batch):
    model, _ = adaptor_from_config('configs/daformer/synthetic.py')
    model.train()
    frames = model.data_preprocessor(uda_batch(), True)['target']['inputs']
    first, second = model.teacher_probs(frames), model.teacher_probs(frames)
    assert torch.equal(first, second)  # dropout 0.1 and DropPath 0.1 are off in the teacher
    assert model.teacher.decode_head.dropout.training and model.teacher.training


def test_class_mix_term_pastes_source_labels_with_weight_one(adaptor_from_config, uda_batch,
                                                             monkeypatch):
    model, _ = adaptor_from_config('configs/dacs/synthetic.py')
    data = model.data_preprocessor(uda_batch(), True)
    source, target = data['source'], data['target']
    labels = torch.full_like(source['gt_seg'], 9)
    weights = torch.full(labels.shape, 0.25)
    seen = {}

    def fake_loss(logits, mixed_labels, mixed_weights=None):
        seen.update(labels=mixed_labels, weights=mixed_weights)
        return logits.sum() * 0

    monkeypatch.setattr(model, 'pixel_loss', fake_loss)
    torch.manual_seed(0)
    model.class_mix_loss(source, target, labels, weights)
    pasted = seen['labels'] != 9
    assert pasted.any() and (~pasted).any()
    assert torch.equal(seen['labels'][pasted], source['gt_seg'][pasted])
    assert (seen['weights'][pasted] == 1).all() and (seen['weights'][~pasted] == 0.25).all()


@pytest.mark.parametrize('config,terms', [
    ('configs/dacs/synthetic.py', {'loss_seg_src', 'loss_seg_mix'}),
    ('configs/daformer/synthetic.py', {'loss_seg_src', 'loss_seg_mix'}),
    ('configs/mic/synthetic.py', {'loss_seg_src', 'loss_seg_mix', 'loss_mic'}),
])
def test_terms_and_learning(adaptor_from_config, train_iters, assert_learns, config, terms):
    model, optim = adaptor_from_config(config)
    logs = train_iters(model, optim, n=16)
    assert {k for k in logs[0] if k.startswith('loss_')} == terms
    assert 0.0 <= float(logs[-1]['pseudo_weight']) <= 1.0
    assert int(model.teacher_updates) == 16
    assert_learns(logs, key='loss_seg_src')


def test_mic_masks_the_target_and_uses_the_teacher_labels(adaptor_from_config, uda_batch,
                                                          monkeypatch):
    model, _ = adaptor_from_config('configs/mic/synthetic.py', mic=dict(augment=False))
    assert model.mic == dict(block_size=4, mask_ratio=0.7, loss_weight=1.0, augment=False)
    target = model.data_preprocessor(uda_batch(), True)['target']
    labels = torch.randint(0, 15, target['inputs'].shape[:2] + target['inputs'].shape[-2:])
    weights = torch.full(labels.shape, 0.5)
    seen = {}

    def fake_segment(frames):
        seen['frames'] = frames
        return torch.zeros(*frames.shape[:2], 15, *frames.shape[-2:], requires_grad=True)

    monkeypatch.setattr(model, 'segment', fake_segment)
    loss = model.mic_loss(target, labels, weights)
    kept = (seen['frames'] == target['inputs']).all(dim=2)
    withheld = (seen['frames'] == 0).all(dim=2)
    assert (kept | withheld).all()
    assert 0.5 < float(withheld.float().mean()) < 0.9  # about 70 % of the blocks
    # Uniform logits: CE = log(15) on every pixel, times weight 0.5, averaged over all pixels.
    assert float(loss) == pytest.approx(0.5 * float(torch.log(torch.tensor(15.0))), rel=1e-5)
    with pytest.raises(ValueError, match='mic has unknown keys'):
        adaptor_from_config('configs/mic/synthetic.py', mic=dict(block=8))


def test_teacher_is_saved_and_a_restored_adaptor_continues_exactly(adaptor_from_config,
                                                                   uda_batch):
    model, optim = adaptor_from_config('configs/mic/synthetic.py')
    model.train()
    torch.manual_seed(1)
    for seed in range(2):
        model.train_step(uda_batch(seed), optim)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    optim_state = copy.deepcopy(optim.state_dict())
    assert any(k.startswith('teacher.') for k in state) and int(state['teacher_updates']) == 2
    rng = torch.get_rng_state()
    model.train_step(uda_batch(5), optim)
    after = model.state_dict()

    other, other_optim = adaptor_from_config('configs/mic/synthetic.py')
    other.load_state_dict(state)
    other_optim.load_state_dict(optim_state)
    other.train()
    torch.set_rng_state(rng)
    other.train_step(uda_batch(5), other_optim)
    for key, value in other.state_dict().items():
        assert torch.equal(value, after[key]), key


# ----------------------------------------------------------------- DAFormer's feature distance
def _fd_model(adaptor_from_config, checkpoint, **options):
    # _delete_: the embedded config sets feature_distance=None, which a dict cannot merge into.
    fd = dict(_delete_=True, loss_weight=0.005, classes=[0, 1], min_ratio=0.75,
              checkpoint=str(checkpoint))
    fd.update(options)
    return adaptor_from_config('configs/daformer/synthetic.py', feature_distance=fd,
                               **{'segmentor.backbone.drop_path_rate': 0.0})


def test_feature_distance_with_a_fake_imagenet_checkpoint(tmp_path, adaptor_from_config,
                                                          uda_batch):
    model, optim = _fd_model(adaptor_from_config, tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match='model.feature_distance.checkpoint'):
        model.init_weights()
    # The "ImageNet" weights: the student's own backbone, saved as a backbone file.
    checkpoint = tmp_path / 'imagenet.pth'
    torch.save(dict(state_dict=model.segmentor.backbone.state_dict()), checkpoint)
    # classes=None: every feature position (the test batch has no pure 32 x 32 class block).
    model, optim = _fd_model(adaptor_from_config, checkpoint, classes=None)
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in
                                model.segmentor.backbone.state_dict().items()}), checkpoint)
    model.train()
    data = model.data_preprocessor(uda_batch(), True)
    logits, features = model.segment_with_features(data['source']['inputs'])
    # Same weights and input: the distance is 0 (and its gradient finite, not NaN).
    fd = model.feature_distance_loss(data['source']['inputs'], data['source']['gt_seg'], features)
    assert float(fd) == 0.0
    log = model.train_step(uda_batch(), optim)
    assert 'loss_feat_dist' in log and torch.isfinite(log['loss_feat_dist'])
    assert not any(k.startswith('_imagenet') or 'imagenet' in k for k in model.state_dict())
    # After a step the student moved away from the frozen encoder.
    logits, features = model.segment_with_features(data['source']['inputs'])
    moved = model.feature_distance_loss(data['source']['inputs'], data['source']['gt_seg'],
                                        features)
    assert float(moved) > 0
    # A file that is not this backbone's weights is an error naming the key and the fix.
    torch.save(dict(state_dict=dict(other=torch.zeros(1))), tmp_path / 'wrong.pth')
    wrong, _ = _fd_model(adaptor_from_config, tmp_path / 'wrong.pth')
    with pytest.raises(ValueError, match='mit2mmseg'):
        wrong.init_weights()


def test_feature_distance_uses_thing_positions_only(tmp_path, adaptor_from_config, monkeypatch):
    checkpoint = tmp_path / 'imagenet.pth'
    model, _ = _fd_model(adaptor_from_config, checkpoint, classes=[2], min_ratio=0.75)
    torch.save(model.segmentor.backbone.state_dict(), checkpoint)
    frames = torch.zeros(1, 1, 3, 64, 128)
    labels = torch.zeros(1, 1, 64, 128, dtype=torch.long)
    labels[..., :32, :32] = 2  # exactly the top-left 32 x 32 block of the 2 x 4 grid
    student = torch.zeros(1, 4, 2, 4)
    reference = torch.zeros(1, 4, 2, 4)
    reference[0, :, 0, 0] = 1.0  # distance 2 at the thing block
    reference[0, :, 1, 3] = 7.0  # elsewhere: not counted
    monkeypatch.setattr(model, 'imagenet_encoder', lambda: (lambda x: [reference]))
    loss = model.feature_distance_loss(frames, labels, [student])
    assert float(loss) == pytest.approx(0.005 * 2.0)
