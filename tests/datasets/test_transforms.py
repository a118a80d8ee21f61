"""Clip transforms keep frames, labels and flow consistent with each other."""
from typing import Tuple

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from uda_toolbox.datasets.transforms import (
    ClipPhotoMetricDistortion,
    ClipRandomCrop,
    ClipRandomFlip,
    ClipRandomResize,
    ClipResize,
    PackClipInputs,
    PackFrameInputs,
)
from uda_toolbox.registry import TRANSFORMS

H, W = 40, 56


def position_clip(t: int = 2, h: int = H, w: int = W) -> dict:
    """A clip whose values encode position: img = (y, x, frame), label = y, flow = (x, y)."""
    ys, xs = np.mgrid[0:h, 0:w]
    imgs = [np.stack([ys, xs, np.full_like(ys, 10 * k)], -1).astype(np.uint8) for k in range(t)]
    segs = [ys.astype(np.uint8) for _ in range(t)]
    flows = [np.stack([xs, ys], -1).astype(np.float32) + 100 * k for k in range(t - 1)]
    return dict(imgs=imgs, gt_seg_maps=segs, flows=flows, img_shape=(h, w), ori_shape=(h, w),
                clip_id='c', frame_ids=list(range(t)), img_paths=[f'f{k}.png' for k in range(t)],
                seg_map_paths=[None] * t)


def copy_clip(results: dict) -> dict:
    out = dict(results)
    for key in ('imgs', 'gt_seg_maps', 'flows'):
        out[key] = [a.copy() for a in results[key]]
    return out


# ----------------------------------------------------------------------------- crop


def test_crop_takes_the_same_window_everywhere():
    crop = ClipRandomCrop(crop_size=(16, 24))
    offsets = set()
    for seed in range(8):
        np.random.seed(seed)
        out = crop(position_clip(t=3))
        y0, x0 = int(out['imgs'][0][0, 0, 0]), int(out['imgs'][0][0, 0, 1])
        offsets.add((y0, x0))
        assert out['img_shape'] == (16, 24) and out['crop_bbox'] == (y0, y0 + 16, x0, x0 + 24)
        ys, xs = np.mgrid[y0:y0 + 16, x0:x0 + 24]
        for k, img in enumerate(out['imgs']):
            np.testing.assert_array_equal(img[..., 0], ys)
            np.testing.assert_array_equal(img[..., 1], xs)
            assert (img[..., 2] == 10 * k).all()
            np.testing.assert_array_equal(out['gt_seg_maps'][k], ys)
        for k, flow in enumerate(out['flows']):  # crop leaves flow values unchanged
            np.testing.assert_array_equal(flow, np.stack([xs, ys], -1) + 100 * k)
    assert len(offsets) > 4  # the window really is random


def test_crop_larger_than_clip_keeps_size():
    out = ClipRandomCrop(crop_size=(100, 10))(position_clip())
    assert out['imgs'][0].shape[:2] == (H, 10) and out['flows'][0].shape == (H, 10, 2)


def test_crop_cat_max_ratio_avoids_single_class_windows():
    seg = np.zeros((8, 40), np.uint8)
    seg[:, 20:] = 1
    results = dict(imgs=[np.zeros((8, 40, 3), np.uint8)] * 2, gt_seg_maps=[seg, seg.copy()])
    np.random.seed(3)
    out = ClipRandomCrop(crop_size=(8, 20), cat_max_ratio=0.75)(dict(results))
    counts = np.bincount(np.concatenate([s.ravel() for s in out['gt_seg_maps']]), minlength=2)
    assert counts.min() > 0 and counts.max() / counts.sum() < 0.75


def test_geometric_transform_rejects_mismatched_sizes():
    results = position_clip()
    results['gt_seg_maps'][1] = np.zeros((H + 1, W), np.uint8)
    with pytest.raises(ValueError, match=r'gt_seg_maps\[1\]'):
        ClipRandomCrop(crop_size=8)(results)


# ----------------------------------------------------------------------------- flip


def test_flip_twice_is_identity_and_once_mirrors():
    flip = ClipRandomFlip(prob=1.0)
    original = position_clip(t=3)
    once = flip(copy_clip(original))
    assert once['flip'] is True and once['flip_direction'] == 'horizontal'
    np.testing.assert_array_equal(once['imgs'][1], original['imgs'][1][:, ::-1])
    np.testing.assert_array_equal(once['gt_seg_maps'][2], original['gt_seg_maps'][2][:, ::-1])
    twice = flip(copy_clip(once))
    for key in ('imgs', 'gt_seg_maps', 'flows'):
        for a, b in zip(twice[key], original[key]):
            np.testing.assert_array_equal(a, b)


def test_flip_negates_and_moves_dx():
    flow = np.zeros((4, 6, 2), np.float32)
    flow[1, 0] = (3.0, -2.0)  # a point at x=0 moving right by 3
    results = dict(imgs=[np.zeros((4, 6, 3), np.uint8)] * 2, flows=[flow], flows_fw=[flow.copy()])
    out = ClipRandomFlip(prob=1.0)(results)
    expected = np.zeros_like(flow)
    expected[1, 5] = (-3.0, -2.0)  # now at x=W-1, moving left; dy unchanged
    for key in ('flows', 'flows_fw'):  # both directions alike
        np.testing.assert_array_equal(out[key][0], expected)
        assert out[key][0].flags['C_CONTIGUOUS']


def test_flip_prob_zero_keeps_clip():
    original = position_clip()
    out = ClipRandomFlip(prob=0.0)(copy_clip(original))
    assert out['flip'] is False and out['flip_direction'] is None
    np.testing.assert_array_equal(out['flows'][0], original['flows'][0])


# ----------------------------------------------------------------------------- resize


def test_resize_by_two_doubles_flow():
    flow = np.tile(np.array([3.0, -1.5], np.float32), (H, W, 1))
    seg = np.zeros((H, W), np.uint8)
    seg[:, W // 2:] = 7
    results = dict(imgs=[np.zeros((H, W, 3), np.uint8)] * 2, gt_seg_maps=[seg, seg],
                   flows=[flow], img_shape=(H, W), ori_shape=(H, W))
    out = ClipResize(scale=(2 * W, 2 * H), keep_ratio=True)(results)
    assert out['img_shape'] == (2 * H, 2 * W) and out['ori_shape'] == (H, W)
    assert out['imgs'][1].shape == (2 * H, 2 * W, 3)
    np.testing.assert_allclose(out['flows'][0], np.tile([6.0, -3.0], (2 * H, 2 * W, 1)))
    assert set(np.unique(out['gt_seg_maps'][0])) == {0, 7}  # nearest: no new ids
    assert (out['gt_seg_maps'][0][:, :W] == 0).all() and (out['gt_seg_maps'][0][:, W:] == 7).all()
    assert out['scale_factor'] == (2.0, 2.0)


def test_resize_without_keep_ratio_scales_dx_and_dy_separately():
    flow = np.tile(np.array([1.0, 1.0], np.float32), (H, W, 1))
    results = dict(imgs=[np.zeros((H, W, 3), np.uint8)] * 2, flows=[flow], flows_fw=[-flow])
    out = ClipResize(scale=(W * 3, H // 2), keep_ratio=False)(results)
    assert out['imgs'][0].shape[:2] == (H // 2, W * 3)
    np.testing.assert_allclose(out['flows'][0][..., 0], 3.0)
    np.testing.assert_allclose(out['flows'][0][..., 1], 0.5)
    np.testing.assert_allclose(out['flows_fw'][0], -out['flows'][0])  # both directions alike


def test_keep_ratio_fits_long_and_short_edge():
    results = dict(imgs=[np.zeros((100, 200, 3), np.uint8)])
    # Long edge <= 300 and short edge <= 120: factor min(1.5, 1.2) = 1.2.
    assert ClipResize(scale=(300, 120))(results)['img_shape'] == (120, 240)


def test_random_resize_is_seeded_and_in_range():
    sizes = []
    for seed in (0, 0, 1):
        np.random.seed(seed)
        out = ClipRandomResize(scale=(W, H), ratio_range=(0.5, 2.0))(position_clip())
        sizes.append(out['img_shape'])
        h, w = out['img_shape']
        assert 0.5 * H - 1 <= h <= 2 * H + 1 and all(s.shape[:2] == (h, w) for s in out['imgs'])
        assert out['flows'][0].shape[:2] == (h, w) and out['gt_seg_maps'][1].shape == (h, w)
    assert sizes[0] == sizes[1] and sizes[0] != sizes[2]


# ----------------------------------------------------------------------------- flow/label


def warp_agreement(seg_prev: np.ndarray, seg_next: np.ndarray, flow: np.ndarray,
                   check_coverage: bool = True) -> Tuple[float, float]:
    """Agreement of the next frame's labels with the previous frame's labels sampled at
    round(p + flow(p)) (nearest): over all labelled pixels, and over those whose sample
    lies >= 2 px inside a region of seg_prev (where resize/rounding errors of up to
    1.5 px cannot change the label, so anything below 1.0 there is a real bug)."""
    h, w = seg_next.shape
    ys, xs = np.mgrid[0:h, 0:w]
    qx = np.rint(xs + flow[..., 0]).astype(int)
    qy = np.rint(ys + flow[..., 1]).astype(int)
    inside = (qx >= 0) & (qx < w) & (qy >= 0) & (qy < h)
    kernel = np.ones((5, 5), np.uint8)
    uniform_prev = cv2.erode(seg_prev, kernel) == cv2.dilate(seg_prev, kernel)
    sampled = np.full((h, w), 255, np.uint8)
    sampled[inside] = seg_prev[qy[inside], qx[inside]]
    interior = np.zeros((h, w), bool)
    interior[inside] = uniform_prev[qy[inside], qx[inside]]
    valid = inside & (seg_next != 255) & (sampled != 255)
    if check_coverage:  # enough pixels compared for the agreement to mean something
        assert valid.sum() > 0.3 * h * w and (valid & interior).sum() > 0.1 * h * w
    if not (valid & interior).any():
        return 0.0, 0.0
    same = sampled == seg_next
    return float(same[valid].mean()), float(same[valid & interior].mean())


def shifted_pair(dx: int = 10, dy: int = -3, h: int = 48, w: int = 64) -> dict:
    """Frame 1 shows frame 0 shifted so that p in frame 1 is p + (dx, dy) in frame 0;
    labels are 16 x 16 blocks of random classes."""
    rng = np.random.RandomState(0)
    seg0 = np.kron(rng.randint(0, 15, (h // 16, w // 16)), np.ones((16, 16), int)).astype(np.uint8)
    seg1 = np.full_like(seg0, 255)
    ys, xs = np.mgrid[0:h, 0:w]
    inside = (xs + dx >= 0) & (xs + dx < w) & (ys + dy >= 0) & (ys + dy < h)
    seg1[inside] = seg0[ys[inside] + dy, xs[inside] + dx]
    flow = np.tile(np.array([dx, dy], np.float32), (h, w, 1))
    imgs = [np.repeat(s[..., None] * 10, 3, -1).astype(np.uint8) for s in (seg0, seg1)]
    return dict(imgs=imgs, gt_seg_maps=[seg0, seg1], flows=[flow], img_shape=(h, w),
                ori_shape=(h, w))


def test_flow_still_maps_labels_after_random_resize_crop_flip():
    pair = shifted_pair()
    assert warp_agreement(*pair['gt_seg_maps'], pair['flows'][0]) == (1.0, 1.0)
    pipeline = [ClipRandomResize(scale=(64, 48), ratio_range=(0.75, 1.75)),
                ClipRandomCrop(crop_size=(32, 40)), ClipRandomFlip(prob=0.5)]
    flips = set()
    for seed in range(10):
        np.random.seed(seed)
        results = shifted_pair()
        for transform in pipeline:
            results = transform(results)
        flips.add(results['flip'])
        seg0, seg1 = results['gt_seg_maps']
        flow = results['flows'][0]
        overall, interior = warp_agreement(seg0, seg1, flow)
        assert interior == 1.0 and overall > 0.85
        # Controls: dx not negated on flip, or flow not scaled with the resize, break it.
        wrong = flow.copy()
        wrong[..., 0] *= -1
        assert warp_agreement(seg0, seg1, wrong, check_coverage=False)[1] < 0.6
        if abs(results['scale_factor'][0] - 1) > 0.2:
            unscaled = flow / np.array(results['scale_factor'], np.float32)
            assert warp_agreement(seg0, seg1, unscaled, check_coverage=False)[0] < 0.92
    assert flips == {True, False}


# ----------------------------------------------------------------------------- photometric


def test_photometric_distortion_is_the_same_for_every_frame():
    rng = np.random.RandomState(1)
    frame = rng.randint(0, 256, (H, W, 3)).astype(np.uint8)
    changed = 0
    for seed in range(6):
        np.random.seed(seed)
        out = ClipPhotoMetricDistortion()(dict(imgs=[frame.copy(), frame.copy(), frame.copy()]))
        assert out['imgs'][0].dtype == np.uint8 and out['imgs'][0].shape == frame.shape
        np.testing.assert_array_equal(out['imgs'][0], out['imgs'][1])
        np.testing.assert_array_equal(out['imgs'][0], out['imgs'][2])
        changed += int(not np.array_equal(out['imgs'][0], frame))
        np.random.seed(seed)
        again = ClipPhotoMetricDistortion()(dict(imgs=[frame.copy()]))
        np.testing.assert_array_equal(again['imgs'][0], out['imgs'][0])
    assert changed >= 4


# ----------------------------------------------------------------------------- packing


def test_pack_clip_inputs_shapes_and_dtypes():
    packed = PackClipInputs()(position_clip(t=3))
    assert set(packed) == {'inputs', 'gt_seg', 'flows', 'meta'}
    assert packed['inputs'].shape == (3, 3, H, W) and packed['inputs'].dtype == torch.uint8
    assert packed['gt_seg'].shape == (3, H, W) and packed['gt_seg'].dtype == torch.uint8
    assert packed['flows'].shape == (2, 2, H, W) and packed['flows'].dtype == torch.float32
    # Channels first, values preserved: channel 1 of a frame is x, flow channel 0 is dx.
    assert int(packed['inputs'][2, 1, 5, 7]) == 7 and int(packed['inputs'][2, 2, 0, 0]) == 20
    assert float(packed['flows'][1, 0, 5, 7]) == 107.0 and float(packed['flows'][1, 1, 5, 7]) == 105
    assert packed['meta'].metainfo == dict(clip_id='c', frame_ids=[0, 1, 2],
                                  img_paths=['f0.png', 'f1.png', 'f2.png'])


def test_pack_clip_inputs_without_labels_or_flow():
    results = position_clip()
    del results['gt_seg_maps'], results['flows']
    packed = PackClipInputs()(results)
    assert 'flows' not in packed and (packed['gt_seg'] == 255).all()
    assert packed['gt_seg'].shape == (2, H, W)


def test_pack_clip_inputs_rejects_mismatched_labels():
    results = position_clip()
    results['gt_seg_maps'] = [np.zeros((H // 2, W), np.uint8)] * 2
    with pytest.raises(ValueError, match='load annotations before resizing'):
        PackClipInputs()(results)


def test_pack_frame_inputs():
    results = position_clip(t=1)
    results['imgs'] = [np.zeros((2 * H, 2 * W, 3), np.uint8)]  # resized frame, original label
    results.update(img_shape=(2 * H, 2 * W), seg_map_paths=['l0.png'], frame_ids=[4])
    packed = PackFrameInputs()(results)
    assert packed['inputs'].shape == (3, 2 * H, 2 * W) and packed['inputs'].dtype == torch.uint8
    sample = packed['data_samples']
    assert isinstance(sample, SegDataSample) and isinstance(sample.gt_sem_seg, PixelData)
    assert sample.gt_sem_seg.data.shape == (1, H, W) and sample.gt_sem_seg.data.dtype == torch.int64
    assert int(sample.gt_sem_seg.data[0, 9, 3]) == 9
    meta = sample.metainfo
    assert meta == dict(img_path='f0.png', seg_map_path='l0.png', ori_shape=(H, W),
                        img_shape=(2 * H, 2 * W), clip_id='c', frame_idx=4, flip=False,
                        flip_direction=None)
    # Two frames (test items of two-frame models): the last is the sample, the first its 'previous'.
    pair = PackFrameInputs()(position_clip(t=2))
    assert int(pair['inputs'][2, 0, 0]) == 10 and pair['data_samples'].frame_idx == 1
    assert pair['previous'].shape == (1, 3, H, W) and int(pair['previous'][0, 2, 0, 0]) == 0
    assert pair['flows'].shape == (1, 2, H, W) and float(pair['flows'][0, 0, 3, 7]) == 7.0
    assert 'previous' not in packed and 'flows' not in packed


def test_transforms_are_registered():
    for name in ('LoadClipFrames', 'LoadClipAnnotations', 'LoadClipFlow', 'ClipResize',
                 'ClipRandomResize', 'ClipRandomCrop', 'ClipRandomFlip',
                 'ClipPhotoMetricDistortion', 'PackClipInputs', 'PackFrameInputs'):
        assert TRANSFORMS.get(name) is not None, name
    crop = TRANSFORMS.build(dict(type='ClipRandomCrop', crop_size=(4, 5)))
    assert isinstance(crop, ClipRandomCrop) and crop.crop_size == (4, 5)
