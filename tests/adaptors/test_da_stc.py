"""DA-STC (uda_toolbox/adaptors/da_stc.py): the state carried between iterations, the teacher schedule,
the target masks' confidences, the fusion of the mixed passes and one full iteration."""
import copy

import pytest
import torch
from two_frame_batches import make_two_frame_batch

from uda_toolbox.adaptors.da_stc import MEMORY
from uda_toolbox.utils.checkpoint import CheckpointError

CONFIG = 'configs/da_stc/synthetic.py'


def batch(seed=0):
    return make_two_frame_batch(source_frames=2, target_frames=3, seed=seed)


@pytest.fixture
def dastc(adaptor_from_config):
    def build(**options):
        return adaptor_from_config(CONFIG, **dict(dict(long_tail_bank=None, teacher_iters=2), **options))
    return build


def params(module):
    return [p.detach().clone() for p in module.parameters()]


def test_first_iteration_fills_the_memory_and_updates_nothing(dastc):
    model, optim = dastc()
    model.train()
    before = params(model.segmentor)
    assert not model.memory_filled
    assert model.train_step(batch(0), optim) == {}
    assert model.memory_filled and int(model.iteration) == 1
    assert all(torch.equal(a, b) for a, b in zip(before, params(model.segmentor)))
    shapes = {name: tuple(model.memory(name).shape) for name in MEMORY}
    assert shapes['source_frames'] == (2, 2, 3, 32, 64) and shapes['target_masks'] == (2, 2, 32, 64)
    assert model.memory('target_masks').dtype == torch.bool
    log = model.train_step(batch(1), optim)
    assert set(log) == {'loss', 'loss_seg_src', 'loss_seg_src_aux', 'loss_mix_src', 'loss_mix_tgt',
                        'loss_tps', 'loss_tps_aux', 'loss_mmd'}
    assert all(torch.isfinite(v) for v in log.values())
    total = sum(v for k, v in log.items() if k != 'loss')
    assert log['loss'].item() == pytest.approx(total.item(), rel=1e-5)
    assert not all(torch.equal(a, b) for a, b in zip(before, params(model.segmentor)))
    # the memory now holds this batch's source frames (histogram-matched) and target frames
    data = model.data_preprocessor(batch(1), True)
    assert torch.equal(model.memory('target_frames'), data['target']['inputs'][:, 1:])
    assert torch.equal(model.memory('source_labels'), data['source']['gt_seg'])


def test_teacher_switches_at_the_configured_iteration(dastc):
    """Iterations 0 and 1 label with the frozen teacher (the student's weights at the start), then
    the student labels itself; the teacher never changes."""
    model, optim = dastc(teacher_iters=2)
    model.train()
    start = params(model.segmentor)
    calls = []
    teacher_pair = model.teacher.forward_pair

    def counted(*args, **kwargs):
        calls.append(int(model.iteration))
        assert not model.teacher.training  # eval: running BatchNorm statistics (model_tps.eval())
        return teacher_pair(*args, **kwargs)

    model.teacher.forward_pair = counted
    used = []
    for i in range(4):
        used.append(model.uses_frozen_teacher())
        model.train_step(batch(i), optim)
    assert used == [True, True, False, False] and calls == [0, 1]
    assert all(torch.equal(a, b) for a, b in zip(start, params(model.teacher)))
    assert not all(torch.equal(a, b) for a, b in zip(start, params(model.segmentor)))
    assert not any(p.requires_grad for p in model.teacher.parameters())

    student, _ = dastc(teacher_iters=None)  # no frozen teacher: the student from the start
    assert student.teacher is None and not student.uses_frozen_teacher()


def test_teacher_from_a_checkpoint(dastc, tmp_path):
    tps, _ = dastc()
    with torch.no_grad():
        for p in tps.segmentor.parameters():
            p.add_(1.0)
    path = tmp_path / 'tps.pth'
    torch.save(dict(state_dict={f'segmentor.{k}': v for k, v in tps.segmentor.state_dict().items()}),
               path)
    model, _ = dastc(teacher_checkpoint=str(path))
    model.prepare_teacher()
    assert all(torch.equal(a, b) for a, b in zip(params(tps.segmentor), params(model.teacher)))
    assert bool(model.teacher_ready)
    torch.save(dict(state_dict={'other.weight': torch.zeros(1)}), path)
    wrong, _ = dastc(teacher_checkpoint=str(path))
    with pytest.raises(CheckpointError, match='teacher_checkpoint'):
        wrong.prepare_teacher()


def test_memory_and_counters_survive_a_state_dict_round_trip(dastc):
    model, optim = dastc()
    model.train()
    model.train_step(batch(0), optim)
    fresh, _ = dastc()
    fresh.load_state_dict(copy.deepcopy(model.state_dict()))
    for name in MEMORY:
        assert torch.equal(fresh.memory(name), model.memory(name)), name
    assert int(fresh.iteration) == 1 and bool(fresh.teacher_ready)


@pytest.mark.parametrize('confidence, expect_c', [('logits', True), ('probs', False)])
def test_frame_c_threshold_on_logits_or_probabilities(dastc, confidence, expect_c):
    """Scores 3 for class 1 and 0 elsewhere: softmax 0.58 < 0.9 < 3, so only the code's threshold
    on raw scores (frame c) passes; frame d's warped softmax never does."""
    model, _ = dastc(frame_c_confidence=confidence)
    model.eval()
    scores = torch.zeros(2, model.num_classes, 4, 8)
    scores[:, 1] = 3.0
    model.teacher_scores = lambda *pair: dict(main=scores, aux=scores)
    flow = torch.zeros(2, 2, 32, 64)
    frames = torch.zeros(2, 3, 32, 64)
    labels = model.cross_frame_labels((frames, frames, flow), False, flow)
    assert (labels['d'] == 1).all() and (labels['c'] == 1).all()
    softmax = torch.e ** 3 / (torch.e ** 3 + model.num_classes - 1)  # 0.589 for 15 classes
    assert torch.allclose(labels['d_conf'], torch.full_like(labels['d_conf'], softmax))
    assert torch.allclose(labels['c_conf'], torch.full_like(labels['c_conf'],
                                                            3.0 if confidence == 'logits' else softmax))
    mask_d, mask_c = model.target_masks(labels, [torch.tensor([]), torch.tensor([])])
    assert not mask_d.any()
    assert bool(mask_c.all()) == expect_c


def test_mixed_pass_fuses_long_tail_pixels_with_their_own_scores(dastc):
    """With the fusion set to [0 | I] the output is its second input: W(K) off the long tail,
    P on it, and 2P - W(K) where two instances overlap (the code's sum)."""
    model, _ = dastc()
    model.eval()
    c = model.num_classes
    with torch.no_grad():
        model.segmentor.fusion.weight.zero_()
        model.segmentor.fusion.weight[:, c:, 0, 0] = torch.eye(c)
    g = torch.Generator().manual_seed(0)
    frames = torch.randn(1, 2, 3, 32, 64, generator=g)
    flows = torch.zeros(1, 1, 2, 32, 64)
    flows[:, :, 0] = -2.0
    clip = dict(frames=frames, labels=torch.zeros(1, 2, 32, 64, dtype=torch.long), flows=flows)
    long_tail = torch.zeros(1, 32, 64, dtype=torch.long)
    long_tail[0, :, :10] = 1
    long_tail[0, :, 10:20] = 2
    with torch.no_grad():
        out = model.mixed_scores(clip, long_tail)
        pair = model.segmentor.forward_pair(frames[:, 1], frames[:, 0], flows[:, 0], fuse=False)
        current = model.upsample(pair['current']['main'], (32, 64))
        warped, _ = model.segmentor.propagate(model.upsample(pair['previous']['main'], (32, 64)),
                                              flows[:, 0])
    assert torch.allclose(out[..., :10], current[..., :10], atol=1e-5)
    assert torch.allclose(out[..., 10:20], 2 * current[..., 10:20] - warped[..., 10:20], atol=1e-5)
    assert torch.allclose(out[..., 20:], warped[..., 20:], atol=1e-5)


def test_window_rows_and_batch_checks(dastc):
    model, _ = dastc(window_rows=(100, 128))
    torch.manual_seed(0)
    # 720 x 1280 source, 512 x 1024 target: rows 100..128 (the code's VIPER window), columns 0..256
    corners = [model.draw_window((720, 1280), (512, 1024)) for _ in range(200)]
    assert {r for r, _ in corners} <= set(range(100, 129)) and min(r for r, _ in corners) < 105
    assert max(col for _, col in corners) > 240 and max(col for _, col in corners) <= 256
    assert model.draw_window((32, 64), (32, 64)) == (0, 0)  # clipped to the frame
    bad = make_two_frame_batch(source_frames=2, target_frames=2)
    with pytest.raises(ValueError, match='num_frames=3'):
        model.train_step(bad, None)
