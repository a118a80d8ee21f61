"""TPS's cross-frame pseudo labels, histogram matching, the strong augmentation's input, one iteration."""
import math

import numpy as np
import pytest
import torch
from two_frame_batches import make_two_frame_batch

from uda_toolbox.adaptors.tps import (
    match_histograms,
    rescaled_size,
    strong_augment,
    wrap_caffe_input,
)


@pytest.fixture
def tps(adaptor_from_config):
    return adaptor_from_config('configs/tps/synthetic.py')


def _fake_pair_forward(fused_main, frame=None):
    """A forward_pair whose fused main scores are ``fused_main``, flipped when its input is
    ``frame`` flipped (a flip-equivariant model); any input when ``frame`` is None."""
    def forward_pair(current, previous, flow, fuse=True):
        if frame is None or torch.equal(current, frame):
            return {'fused': {'main': fused_main.clone()}}
        assert torch.equal(current, frame.flip(-1))
        return {'fused': {'main': fused_main.flip(-1)}}
    return forward_pair


@pytest.mark.parametrize('weak_flip', [None, 'consistent', 'original'])
def test_cross_frame_label_is_the_hand_warped_argmax(tps, weak_flip, monkeypatch):
    model, _ = tps
    model.weak_flip = weak_flip
    n, c, h, w = 1, 15, 8, 16  # the tiny model's logit grid of 32x64 frames
    scores = torch.randn(n, c, h, w, generator=torch.Generator().manual_seed(3))
    batch = model.data_preprocessor(make_two_frame_batch(target_frames=3, n=1), True)['target']
    monkeypatch.setattr(model.segmentor, 'forward_pair',
                        _fake_pair_forward(scores, frame=batch['inputs'][:, -2]))
    # flow t -> t-1 of +8 px at the frame size = +2 px on the 8x16 grid (x 8/32):
    # label_t(y, x) = argmax scores_{t-1}(y, x + 2), border-clamped at the right edge.
    batch['flows'][:, -1, 0] = 8.0
    model.flip_prob = 1.0  # every weak pair is flipped (when weak_flip is not None)
    labels = model.cross_frame_labels(batch)['main']
    argmax = scores.argmax(1)
    columns = torch.clamp(torch.arange(w) + 2, max=w - 1)
    if weak_flip == 'original':
        # As coded: the flipped prediction is warped with the unflipped flow, then flipped back,
        # so label(x) = argmax scores(max(x - 2, 0)): the flow applied the wrong way (TPS #9).
        expected = argmax.flip(-1)[:, :, columns].flip(-1)
        assert torch.equal(expected, argmax[:, :, torch.clamp(torch.arange(w) - 2, min=0)])
    else:
        expected = argmax[:, :, columns]
    assert labels.shape == (n, h, w)
    assert torch.equal(labels, expected)


def test_threshold_ignores_unconfident_labels(tps, monkeypatch):
    model, _ = tps
    model.weak_flip = None
    scores = torch.zeros(1, 15, 8, 16)
    scores[:, 4, :, :8] = 10.0  # confident class 4 on the left half, uniform on the right
    monkeypatch.setattr(model.segmentor, 'forward_pair', _fake_pair_forward(scores))
    batch = model.data_preprocessor(make_two_frame_batch(target_frames=3, n=1), True)['target']
    batch['flows'].zero_()
    model.threshold = 0.5
    labels = model.cross_frame_labels(batch)['main']
    assert (labels[:, :, :8] == 4).all() and (labels[:, :, 8:] == 255).all()


def test_histogram_matching_against_numpy_quantile_mapping():
    g = torch.Generator().manual_seed(0)
    image = torch.randint(0, 50, (3, 6, 7), generator=g).float()
    reference = torch.randint(100, 256, (3, 5, 9), generator=g).float()
    ours = match_histograms(image, reference)
    for ch in range(3):  # the textbook mapping, with numpy
        src, inv, counts = np.unique(image[ch].numpy().ravel(), return_inverse=True,
                                     return_counts=True)
        ref, ref_counts = np.unique(reference[ch].numpy().ravel(), return_counts=True)
        mapped = np.interp(np.cumsum(counts) / image[ch].numel(),
                           np.cumsum(ref_counts) / reference[ch].numel(), ref)
        np.testing.assert_allclose(ours[ch].numpy().ravel(), mapped[inv], rtol=1e-12)
    # a histogram matched to itself is unchanged
    assert torch.allclose(match_histograms(reference, reference), reference.double())


def test_the_original_strong_input_is_the_wrapped_inverted_image():
    # ToPILImage(float32(BGR - mean)) = trunc(255 * x) mod 256 per channel.
    pixels = torch.tensor([103.0, 104.0, 255.0]).view(3, 1, 1).expand(3, 1, 2).clone()
    pixels[:, 0, 1] = 0.0
    out = wrap_caffe_input(pixels)
    assert out.shape == (1, 2, 3) and out.dtype == np.uint8
    expected = [math.trunc(float(np.float32(np.float32(v - m) * np.float32(255.0)))) % 256
                for v, m in zip((103.0, 104.0, 255.0), (104.00698793, 116.66876762, 122.67891434))]
    assert out[0, 0].tolist() == expected
    assert expected[0] == 0  # (103 - 104.007) * 255 = -256.8 -> -256 -> 0
    assert out[0, 1, 0] == 103  # black: c_B = (-26521) mod 256, the specification's c_B ~ 103
    # B = 104: -0.007 * 255 = -1.78 -> -1 -> 255 (the byte() wrap the specification verified)
    assert wrap_caffe_input(torch.full((3, 1, 1), 104.0))[0, 0, 0] == 255


def test_strong_augment_draws_and_sizes():
    image = np.random.default_rng(0).integers(0, 256, (8, 6, 3), dtype=np.uint8)
    torch.manual_seed(0)
    a = strong_augment(image, 5, 0.6, (0.8, 0.8, 0.8, 0.2), 0.8, 0.2)
    torch.manual_seed(0)
    b = strong_augment(image, 5, 0.6, (0.8, 0.8, 0.8, 0.2), 0.8, 0.2)
    assert a.shape == image.shape and np.array_equal(a, b)  # one torch draw, one result
    # p = 0 everywhere: the identity; grayscale p = 1: three equal channels
    assert np.array_equal(strong_augment(image, 5, 0.0, (0.8,) * 4, 0.0, 0.0), image)
    gray = strong_augment(image, 5, 0.0, (0.8,) * 4, 0.0, 1.0)
    assert np.array_equal(gray[..., 0], gray[..., 1]) and np.array_equal(gray[..., 1], gray[..., 2])
    # TPS's student size: round(512 s / 8) * 8 x round(1024 s / 8) * 8
    assert rescaled_size((512, 1024), 0.8) == (408, 816)
    assert rescaled_size((512, 1024), 1.19) == (608, 1216)


def test_tps_iteration(tps):
    model, optim = tps
    model.train()
    logs = model.train_step(make_two_frame_batch(target_frames=3), optim)
    assert {'loss_seg_src', 'loss_seg_src_aux', 'loss_tps', 'loss_tps_aux'} <= set(logs)
    assert all(math.isfinite(float(v)) for v in logs.values())
    with pytest.raises(ValueError, match='num_frames=3'):
        model.train_step(make_two_frame_batch(target_frames=2), optim)


@pytest.mark.parametrize('strong_aug_input', ['original', 'clean'])
def test_student_pair_inputs(tps, strong_aug_input):
    model, _ = tps
    model.strong_aug_input = strong_aug_input
    batch = model.data_preprocessor(make_two_frame_batch(target_frames=3), True)['target']
    current, previous = batch['inputs'][:, -1], batch['inputs'][:, -2]
    torch.manual_seed(0)
    student, student_prev = model.strong_pair(current, previous)
    assert student.shape[:2] == (2, 3) and student.shape == student_prev.shape
    assert student.shape[-2] % 8 == 0 and student.shape[-1] % 8 == 0
    if strong_aug_input == 'original':
        assert student.min() >= 0 and student.max() <= 1  # ToTensor, not normalised
    else:
        assert student.min() < 0  # normalised like every other input
    # pixel values survive the normalisation round trip exactly
    pixels = model.to_pixels_bgr(current)
    assert torch.equal(pixels, pixels.round()) and torch.allclose(model.from_pixels_bgr(pixels), current,
                                                                    atol=1e-5)


def test_inference_takes_the_context_only_where_the_segmentor_does(tps, adaptor_from_config):
    model, _ = tps
    source_only, _ = adaptor_from_config('configs/source_only/synthetic.py')
    model.eval(), source_only.eval()
    frames, previous = torch.randn(2, 3, 32, 64), torch.randn(2, 1, 3, 32, 64)
    flows = torch.zeros(2, 1, 2, 32, 64)
    with torch.no_grad():
        ours = model(frames, None, mode='predict', previous=previous, flows=flows)
        direct = model.segmentor.predict(frames, None, previous=previous, flows=flows)
        single = source_only(frames, None, mode='predict', previous=previous, flows=flows)
        alone = source_only(frames, None, mode='predict')
    assert torch.equal(ours[0].pred_sem_seg.data, direct[0].pred_sem_seg.data)
    assert torch.equal(single[1].seg_logits.data, alone[1].seg_logits.data)  # context ignored
    with pytest.raises(ValueError, match='num_frames=2'):
        model(frames, None, mode='predict')
