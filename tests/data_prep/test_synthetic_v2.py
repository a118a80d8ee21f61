"""Tests of generator version 2 of the embedded pair (uda_toolbox/data_prep/synthetic/v2/): the
bytes are fixed by the seed, and each phenomenon it adds is present and bounded."""

import dataclasses
import hashlib
import json

import cv2
import numpy as np
import pytest

from uda_toolbox.data_prep.synthetic import clip_seed, generate_synthetic_pair, generator
from uda_toolbox.data_prep.synthetic.v1.render import _owner_params, composite
from uda_toolbox.data_prep.synthetic.v2 import sensor
from uda_toolbox.data_prep.synthetic.v2.params import (
    LAYOUT_FACTORS,
    POLE,
    ROAD,
    SIDEWALK,
    STYLE_FACTORS,
    resolve_factors,
)
from uda_toolbox.data_prep.synthetic.v2.render import render_clip
from uda_toolbox.data_prep.synthetic.v2.scene import ego_motion

TINY = dict(seed=0, style_shift=0.6, layout_shift=0.6, height=32, width=64, num_source_clips=2,
            num_target_train_clips=2, num_target_val_clips=1, clip_length=6,
            annotation_interval=3)


def _render(domain, i, shift=0.6, size=(64, 128), length=10, details=None, seed=0, style=None):
    return render_clip(clip_seed(seed, domain, 'train', i), height=size[0], width=size[1],
                       length=length, style_shift=shift if style is None else style,
                       layout_shift=shift, details=details)


def _digest(root):
    digest = hashlib.sha256()
    for path in sorted(root.rglob('*')):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_v2_pair_is_byte_identical_by_seed(tmp_path):
    a = generate_synthetic_pair(tmp_path / 'a', **TINY, version=2, verbose=False)
    b = generate_synthetic_pair(tmp_path / 'b', **TINY, version=2, verbose=False)
    c = generate_synthetic_pair(tmp_path / 'c', **{**TINY, 'seed': 1}, version=2, verbose=False)
    assert _digest(a) == _digest(b) != _digest(c)
    meta = json.loads((a / 'meta.json').read_text())
    assert meta['generator_version'] == generator(2).GENERATOR_VERSION == 'uda_toolbox.synthetic/2'
    assert meta['factors']['target']['style']['shutter'] == pytest.approx(0.6 * 0.9)
    assert meta['factors']['source']['style']['shutter'] == 0.0
    assert meta['factors']['materials']['road'] == dict(source=['flat', 0.0],
                                                       target=['asphalt', 0.3])
    # Not the bytes of version 1.
    v1 = generate_synthetic_pair(tmp_path / 'v1', **TINY, version=1, verbose=False)
    img = 'target/train/img/000/000_00002.png'
    assert (a / img).read_bytes() != (v1 / img).read_bytes()


def test_exposure_and_white_balance_drift_and_flicker_are_bounded():
    rng = np.random.default_rng(0)
    for shift in (0.6, 1.0):
        style = resolve_factors(STYLE_FACTORS, shift)
        logs = np.log(sensor.exposure_gains(200, style, rng).astype(np.float64))
        step = np.abs(np.diff(logs, axis=0)).max(0)
        drift = style['exposure_step'] + style['white_balance_step'] + 2 * style['flicker']
        assert np.all(step <= drift + 2 * style['light_change_size'] + 1e-6)
        assert np.abs(logs).max() <= (style['exposure_range'] + style['white_balance_range']
                                      + style['flicker'] + style['light_change_size'] + 1e-6)
        # Lighting changes happen: some steps are larger than the drift alone allows.
        assert step[1] > drift
        # It changes every frame, and drifts well beyond one frame's flicker over the clip.
        assert np.all(np.abs(np.diff(logs[:, 1])) > 0)
        assert np.ptp(logs[:, 1]) > 2 * style['flicker']
        # Green carries the exposure alone; blue and red also drift (white balance).
        assert np.ptp(logs[:, 0] - logs[:, 1]) > 0 and np.ptp(logs[:, 2] - logs[:, 1]) > 0
    source = resolve_factors(STYLE_FACTORS, 0.0)
    assert np.all(sensor.exposure_gains(30, source, rng) == 1.0)


def _edge_width(img: np.ndarray) -> int:
    """Columns of the middle row strictly between the two sides of a step edge."""
    row = img[img.shape[0] // 2, :, 0]
    return int(((row > 0.01) & (row < 0.99)).sum())


def test_motion_blur_grows_with_speed():
    img = np.zeros((16, 64, 3), np.float32)
    img[:, 32:] = 1.0
    widths = []
    for speed in (0.0, 1.0, 3.0, 6.0, 10.0):
        flow = np.zeros((16, 64, 2), np.float32)
        flow[..., 0] = -speed
        widths.append(_edge_width(sensor.motion_blur(img, flow, shutter=0.7)))
    assert widths[0] == 0  # a still scene stays sharp
    assert all(a < b for a, b in zip(widths, widths[1:])), widths
    # The smear is shutter x |flow| long (the bilinear edge adds one column).
    assert widths[-1] in (7, 8)
    flow = np.full((16, 64, 2), 5.0, np.float32)
    assert np.array_equal(sensor.motion_blur(img, flow, shutter=0.0), img)


def test_compression_changes_every_frame_and_is_off_in_the_source():
    frame = np.random.default_rng(0).integers(0, 256, (32, 64, 3)).astype(np.uint8)
    assert np.array_equal(sensor.compress(frame, 100), frame)
    low, high = sensor.compress(frame, 30), sensor.compress(frame, 70)
    assert np.abs(low.astype(int) - frame).mean() > np.abs(high.astype(int) - frame).mean() > 0
    style = resolve_factors(STYLE_FACTORS, 0.6)
    q = sensor.jpeg_qualities(500, style, np.random.default_rng(0))
    assert q.min() >= round(style['jpeg_quality_min']) and q.max() <= round(style['jpeg_quality_max'])
    assert len(np.unique(q)) > 10
    assert np.all(sensor.jpeg_qualities(9, resolve_factors(STYLE_FACTORS, 0.0),
                                        np.random.default_rng(0)) == 100)


def test_ego_motion_varies_in_the_target_and_is_constant_in_the_source():
    T = 30
    for shift, varied in ((0.0, False), (1.0, True)):
        lay = resolve_factors(LAYOUT_FACTORS, shift)
        zoom, pan, limit = ego_motion(T, np.random.default_rng(3), lay)
        rate, velocity = zoom[1:] / zoom[:-1] - 1.0, np.diff(pan)
        assert zoom[0] == 1.0 and np.all(rate > 0) and zoom[-1] <= lay['ego_total'] + 1e-9
        assert np.abs(pan).max() <= limit
        if varied:
            assert rate.max() > 1.5 * rate.min()  # speeding up and braking
            assert np.ptp(velocity) > 0.3  # turning
        else:
            np.testing.assert_allclose(rate, rate[0])
            np.testing.assert_allclose(velocity, velocity[0])


def _follow(flow, other, here, owner_other, owner_here):
    """Nearest-sample at p + flow(p): (label agreement where the owner is the same, share of
    in-bounds pixels whose owner changed = occluded or disoccluded)."""
    h, w = here.shape
    x = np.rint(np.arange(w)[None, :] + flow[..., 0]).astype(int)
    y = np.rint(np.arange(h)[:, None] + flow[..., 1]).astype(int)
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    xs, ys = x.clip(0, w - 1), y.clip(0, h - 1)
    same = owner_other[ys, xs] == owner_here
    visible = inside & same
    agree = float((other[ys, xs] == here)[visible].mean())
    return agree, float((inside & ~same).sum() / inside.sum())


def test_true_flow_warps_the_previous_frame_except_at_occlusions():
    agree, occluded, photo_warped, photo_still = [], [], [], []
    for i in range(3):
        details = {}
        clip = _render('target', i, shift=1.0, details=details)
        owners = details['owner']
        h, w = clip.labels[0].shape
        grid = np.mgrid[0:h, 0:w].astype(np.float32)
        for t in range(1, len(clip.labels)):
            bw = clip.flow_bw[t - 1]
            a, o = _follow(bw, clip.labels[t - 1], clip.labels[t], owners[t - 1], owners[t])
            agree.append(a)
            occluded.append(o)
            # Each frame over its own mean colour: the exposure changes (global gains, large
            # at shift 1) are not motion.
            before, now = (f.astype(np.float32) / f.reshape(-1, 3).mean(0)
                           for f in (clip.frames[t - 1], clip.frames[t]))
            warped = cv2.remap(before, grid[1] + bw[..., 0], grid[0] + bw[..., 1],
                               cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            photo_warped.append(np.abs(warped - now).mean())
            photo_still.append(np.abs(before - now).mean())
    assert min(agree) > 0.93 and np.mean(agree) > 0.97
    assert max(occluded) > 0  # movers do occlude and disocclude
    # Even through noise, compression, exposure changes and blur the flow explains the motion.
    assert np.mean(photo_warped) < 0.8 * np.mean(photo_still)


def test_target_frames_change_more_than_the_motion_explains():
    """Warping frame t-1 onto t with the exact flow leaves a larger residual in the target (new
    noise, compression, exposure every frame) than in the clean source."""
    residual = {}
    for domain, shift in (('source', 0.0), ('target', 0.6)):
        values = []
        for i in range(2):
            details = {}
            clip = _render(domain, i, shift=shift, details=details)
            h, w = clip.labels[0].shape
            grid = np.mgrid[0:h, 0:w].astype(np.float32)
            for t in range(1, len(clip.frames)):
                bw = clip.flow_bw[t - 1]
                warped = cv2.remap(clip.frames[t - 1].astype(np.float32), grid[1] + bw[..., 0],
                                   grid[0] + bw[..., 1], cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE)
                values.append(np.abs(warped - clip.frames[t]).mean())
        residual[domain] = np.mean(values)
    assert residual['target'] > 2 * residual['source']


def test_occlusion_order_is_consistent_with_depth():
    """Each pixel shows the nearest of the movers that cover it (or the static world when a prop
    or nothing is nearer): recomputed by compositing every mover alone."""
    overlaps = 0
    for i in range(4):
        details = {}
        _render('target', i, shift=1.0, length=6, details=details)
        scene = details['scene']
        a, b = _owner_params(scene)
        static = dataclasses.replace(scene, movers=[])
        for t in (0, 5):
            _, _, _, static_depth = composite(static, a[:1], b[:1], t)
            best = static_depth.copy()
            expected = np.zeros(static_depth.shape, np.int64)
            covering = np.zeros(static_depth.shape, np.int64)
            for j, mover in enumerate(scene.movers):
                alone = dataclasses.replace(scene, movers=[mover])
                rows = [0, j + 1]
                _, _, owner, _ = composite(alone, a[rows], b[rows], t)
                dist = mover.depth0 / mover.k[t]
                covered = owner == 1
                covering += covered
                nearer = covered & (dist < best)
                expected[nearer], best[nearer] = j + 1, dist
            assert np.array_equal(details['owner'][t], expected)
            np.testing.assert_allclose(details['depth'][t], best, rtol=1e-6)
            overlaps += int((covering > 1).sum())
    assert overlaps > 0  # the clips do have movers in front of movers


def _runs_of_one(label: np.ndarray, cls: int) -> float:
    """Share of horizontal runs of ``cls`` that are one pixel wide."""
    mask = (label == cls).astype(np.int8)
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))), axis=1)
    starts, ends = np.nonzero(edges == 1), np.nonzero(edges == -1)
    widths = ends[1] - starts[1]
    return float((widths == 1).mean()) if len(widths) else 0.0


def test_thin_poles_reach_the_resolution_limit_in_the_target_only():
    share = {}
    for domain, shift in (('source', 0.0), ('target', 1.0)):
        labels = [lab for i in range(6) for lab in _render(domain, i, shift=shift, length=4).labels]
        share[domain] = np.mean([_runs_of_one(lab, POLE) for lab in labels])
    assert share['target'] > 0.2 and share['target'] > 3 * share['source']


def _texture(canvas, cls: int) -> float:
    """Median |luminance - local mean| of the canvas on one class (robust to the lane dashes),
    relative to the class's mean luminance."""
    lum = canvas.colour.mean(-1)
    detail = lum - cv2.blur(lum, (5, 5))
    mask = cv2.erode((canvas.label == cls).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return float(np.median(np.abs(detail[mask])) / max(lum[mask].mean(), 1e-6))


def test_materials_differ_per_class_between_the_domains():
    """The source paves its sidewalks and leaves the road flat; the target patches and grains its
    road and leaves the sidewalks plain: texture, not colour, tells the classes apart differently."""
    ratio = {}
    for domain, shift in (('source', 0.0), ('target', 1.0)):
        values = []
        for i in range(3):
            details = {}
            _render(domain, i, shift=shift, length=2, details=details)
            canvas = details['scene'].canvas
            values.append(_texture(canvas, ROAD) / _texture(canvas, SIDEWALK))
        ratio[domain] = np.median(values)
    assert ratio['source'] < 0.1 and ratio['target'] > 1.5


def test_style_shift_keeps_labels_and_flow():
    a = _render('target', 1, shift=0.6, style=0.2)
    b = _render('target', 1, shift=0.6, style=1.0)
    assert all(np.array_equal(x, y) for x, y in zip(a.labels, b.labels))
    assert all(np.array_equal(x, y) for x, y in zip(a.flow_bw, b.flow_bw))
    assert not np.array_equal(a.frames[3], b.frames[3])


def test_source_is_a_randomised_simulator_and_the_target_is_not():
    """Each source clip draws its own hue offset, brightness and saturation gains and a wider
    colour jitter (a randomised simulator); at shift 1 the target draws none of them."""
    from uda_toolbox.data_prep.synthetic.v2.params import PALETTE, RANDOM_HUE, RANDOM_VALUE
    from uda_toolbox.data_prep.synthetic.v2.scene import LookV2

    def looks(shift):
        style = resolve_factors(STYLE_FACTORS, shift)
        return [LookV2(style, shift, np.random.default_rng(i)) for i in range(40)]

    source, target = looks(0.0), looks(1.0)
    assert max(abs(x.clip_hue) for x in source) <= RANDOM_HUE
    assert max(abs(x.clip_value - 1.0) for x in source) <= RANDOM_VALUE
    assert np.ptp([x.clip_hue for x in source]) > RANDOM_HUE  # spread over most of the range
    assert all(x.clip_hue == 0.0 and x.clip_value == 1.0 and x.clip_saturation == 1.0
               and x.jitter_scale == 1.0 for x in target)
    # The road's colour spreads over clips far more in the source than the plain +-0.03 jitter
    # of the target, which stays within it around the target palette colour.
    road = {name: np.array([x.colours['road'] for x in looks_])
            for name, looks_ in (('source', source), ('target', target))}
    assert road['source'].std(0).max() > 3 * road['target'].std(0).max()
    graded = np.array(target[0].grade(PALETTE['road'][1]))
    assert np.abs(road['target'] - graded).max() < 0.03 * 1.2
