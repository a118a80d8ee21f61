"""Tests of the embedded sim-to-real pair generator (uda_toolbox/data_prep/synthetic/)."""

import hashlib
import json
import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest

from uda_toolbox.data_prep.synthetic import (
    GENERATOR_VERSION,
    RENDERED_CLASSES,
    clip_seed,
    ensure_synthetic_pair,
    generate_synthetic_pair,
    render_clip,
    writer,
)
from uda_toolbox.utils.classes import IGNORE_INDEX, VIDEO_UDA_CLASSES

# A tiny pair: 32x64, 10-frame clips, target labels at frames 4 and 9.
TINY = dict(
    seed=0,
    style_shift=0.6,
    layout_shift=0.6,
    height=32,
    width=64,
    num_source_clips=3,
    num_target_train_clips=2,
    num_target_val_clips=2,
    clip_length=10,
    annotation_interval=5,
)


@pytest.fixture(scope='module')
def small_pair(tmp_path_factory) -> Path:
    return generate_synthetic_pair(tmp_path_factory.mktemp('synth') / 'pair', **TINY, verbose=False)


def _files(root: Path) -> dict:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*')) if p.is_file()
    }


def _expected_names(clips: int, length: int, labelled) -> set:
    names = set()
    for c in range(clips):
        clip = f'{c:03d}'
        for t in range(length):
            stem = f'{clip}_{t:05d}'
            names.add(f'img/{clip}/{stem}.png')
            if t in labelled:
                names.add(f'cls/{clip}/{stem}.png')
            if t > 0:
                names.add(f'flow/{clip}/{stem}_bw.npy')
            if t < length - 1:
                names.add(f'flow/{clip}/{stem}_fw.npy')
    return names


def test_layout_and_file_names(small_pair):
    top = sorted(p.name for p in small_pair.iterdir())
    assert top == ['meta.json', 'source', 'target']
    assert sorted(p.name for p in (small_pair / 'target').iterdir()) == ['train', 'val']
    assert sorted(p.name for p in (small_pair / 'source').iterdir()) == ['train']
    for split, clips, labelled in (
        ('source/train', 3, range(10)),
        ('target/train', 2, (4, 9)),
        ('target/val', 2, (4, 9)),
    ):
        root = small_pair / split
        names = {str(p.relative_to(root)) for p in root.rglob('*') if p.is_file()}
        assert names == _expected_names(clips, 10, set(labelled)), split
    # No temporary directory is left beside the pair.
    assert [p.name for p in small_pair.parent.iterdir()] == ['pair']


def test_file_formats(small_pair):
    img = cv2.imread(str(small_pair / 'target/val/img/001/001_00003.png'), cv2.IMREAD_UNCHANGED)
    assert img.shape == (32, 64, 3) and img.dtype == np.uint8
    lab = cv2.imread(str(small_pair / 'target/val/cls/001/001_00009.png'), cv2.IMREAD_UNCHANGED)
    assert lab.shape == (32, 64) and lab.dtype == np.uint8
    flow = np.load(small_pair / 'source/train/flow/002/002_00005_fw.npy')
    assert flow.shape == (32, 64, 2) and flow.dtype == np.float16


def test_meta(small_pair):
    meta = json.loads((small_pair / 'meta.json').read_text())
    assert meta['generator_version'] == GENERATOR_VERSION
    assert meta['params'] == TINY
    assert meta['splits']['source/train']['labelled_frame_ids'] == list(range(10))
    assert meta['splits']['target/val']['labelled_frame_ids'] == [4, 9]
    assert meta['splits']['target/train']['num_labelled_frames'] == 4
    assert meta['classes'] == list(VIDEO_UDA_CLASSES)
    assert set(meta['classes_present']) == set(RENDERED_CLASSES)
    for domain in ('source', 'target'):
        freqs = meta['class_frequencies'][domain]
        assert sum(freqs.values()) == pytest.approx(1.0, abs=1e-4)
        assert freqs['fence'] == 0.0 and freqs['road'] > 0.05


def test_labels_are_valid_train_ids_and_cover_rendered_classes(small_pair):
    seen = set()
    for path in small_pair.rglob('cls/*/*.png'):
        lab = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        values = set(np.unique(lab).tolist())
        assert values <= set(range(len(VIDEO_UDA_CLASSES))) | {IGNORE_INDEX}, path
        seen |= values
    # Over a few more clips (in memory) every class the generator claims to render shows up.
    for i in range(8):
        clip = render_clip(
            clip_seed(1, 'target', 'train', i),
            height=32,
            width=64,
            length=4,
            style_shift=0.5,
            layout_shift=0.5,
        )
        for lab in clip.labels:
            seen |= set(np.unique(lab).tolist())
    assert {VIDEO_UDA_CLASSES[i] for i in seen if i != IGNORE_INDEX} == set(RENDERED_CLASSES)
    assert len(RENDERED_CLASSES) >= 8


def test_same_seed_same_bytes_other_seed_differs(small_pair, tmp_path):
    again = generate_synthetic_pair(tmp_path / 'again', **TINY, verbose=False)
    assert _files(again) == _files(small_pair)
    other = generate_synthetic_pair(tmp_path / 'other', **{**TINY, 'seed': 1}, verbose=False)
    a, b = _files(small_pair), _files(other)
    assert a.keys() == b.keys()
    frames = [k for k in a if '/img/' in k]
    assert sum(a[k] != b[k] for k in frames) == len(frames)


def test_workers_give_identical_bytes(small_pair, tmp_path):
    parallel = generate_synthetic_pair(tmp_path / 'parallel', **TINY, workers=2, verbose=False)
    assert _files(parallel) == _files(small_pair)


def test_ensure_is_idempotent_and_rejects_other_parameters(tmp_path):
    out = tmp_path / 'pair'
    small = {
        **TINY,
        'num_source_clips': 1,
        'num_target_train_clips': 1,
        'num_target_val_clips': 1,
        'clip_length': 5,
    }
    ensure_synthetic_pair(out, **small, verbose=False)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob('*')}
    assert ensure_synthetic_pair(out, **small, verbose=False) == out
    assert {p: p.stat().st_mtime_ns for p in out.rglob('*')} == stamps
    with pytest.raises(FileExistsError, match='overwrite') as info:
        ensure_synthetic_pair(out, **{**small, 'seed': 3}, verbose=False)
    assert str(out) in str(info.value) and 'seed' in str(info.value)
    with pytest.raises(FileExistsError, match='overwrite'):
        generate_synthetic_pair(out, **small, verbose=False)
    ensure_synthetic_pair(out, **{**small, 'seed': 3}, overwrite=True, verbose=False)
    assert json.loads((out / 'meta.json').read_text())['params']['seed'] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ['pair']


def test_refuses_to_overwrite_a_directory_that_is_not_a_pair(tmp_path):
    foreign = tmp_path / 'data'
    foreign.mkdir()
    (foreign / 'precious.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='not a synthetic pair'):
        generate_synthetic_pair(foreign, **TINY, overwrite=True, verbose=False)
    assert (foreign / 'precious.txt').read_text() == 'keep me'


def test_interrupted_run_leaves_nothing(tmp_path, monkeypatch):
    calls = []
    real = writer._write_clip

    def failing(job):
        calls.append(job)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(writer, '_write_clip', failing)
    with pytest.raises(KeyboardInterrupt):
        generate_synthetic_pair(tmp_path / 'pair', **TINY, verbose=False)
    assert list(tmp_path.iterdir()) == []


def _follow(flow: np.ndarray, other: np.ndarray, here: np.ndarray):
    """Nearest-sample ``other`` at p + flow(p); (agreement with ``here`` in bounds, count)."""
    h, w = here.shape
    x = np.rint(np.arange(w)[None, :] + flow[..., 0].astype(np.float32)).astype(int)
    y = np.rint(np.arange(h)[:, None] + flow[..., 1].astype(np.float32)).astype(int)
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    return float((other[y[inside], x[inside]] == here[inside]).mean()), int(inside.sum())


def test_true_flow_maps_labels_and_pixels(small_pair):
    root = small_pair / 'source/train'
    fw, bw, still, photo_warped, photo_still = [], [], [], [], []
    for c in range(3):
        clip = f'{c:03d}'
        labels = [
            cv2.imread(str(root / f'cls/{clip}/{clip}_{t:05d}.png'), cv2.IMREAD_UNCHANGED)
            for t in range(10)
        ]
        frames = [
            cv2.imread(str(root / f'img/{clip}/{clip}_{t:05d}.png')).astype(np.float32)
            for t in range(10)
        ]
        for t in range(9):
            f = np.load(root / f'flow/{clip}/{clip}_{t:05d}_fw.npy')
            b = np.load(root / f'flow/{clip}/{clip}_{t + 1:05d}_bw.npy')
            fw.append(_follow(f, labels[t + 1], labels[t])[0])
            bw.append(_follow(b, labels[t], labels[t + 1])[0])
            still.append(_follow(np.zeros_like(f), labels[t + 1], labels[t])[0])
            # Backward warping of frame t+1 with the forward flow of t reproduces frame t (source:
            # no noise).
            grid = np.mgrid[0:32, 0:64].astype(np.float32)
            warped = cv2.remap(
                frames[t + 1],
                grid[1] + f[..., 0].astype(np.float32),
                grid[0] + f[..., 1].astype(np.float32),
                cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REPLICATE,
            )
            photo_warped.append(np.abs(warped - frames[t]).mean())
            photo_still.append(np.abs(frames[t + 1] - frames[t]).mean())
    assert min(fw) > 0.9 and min(bw) > 0.9
    # The flow is not trivially zero: it explains the motion better than standing still.
    assert np.mean(fw) > np.mean(still)
    assert np.mean(photo_warped) < 0.6 * np.mean(photo_still)


def _track(labels, flows) -> float:
    """Follow each first-frame pixel through the chained flows; first/last label agreement."""
    h, w = labels[0].shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    inside = np.ones((h, w), bool)
    for f in flows:
        xi, yi = np.rint(x).astype(int).clip(0, w - 1), np.rint(y).astype(int).clip(0, h - 1)
        x, y = x + f[yi, xi, 0], y + f[yi, xi, 1]
        inside &= (np.rint(x) >= 0) & (np.rint(x) < w) & (np.rint(y) >= 0) & (np.rint(y) < h)
    xi, yi = np.rint(x).astype(int).clip(0, w - 1), np.rint(y).astype(int).clip(0, h - 1)
    return float((labels[-1][yi, xi] == labels[0])[inside].mean())


def test_flow_tracks_labels_through_the_whole_clip(small_pair):
    # Over 9 frames the zoom and pan add up to several pixels, so small systematic errors (a missing
    # vertical component, a wrong sign) show here although one-frame label agreement is high even
    # for zero flow.
    root = small_pair / 'source/train'
    for c in range(3):
        clip = f'{c:03d}'
        labels = [
            cv2.imread(str(root / f'cls/{clip}/{clip}_{t:05d}.png'), cv2.IMREAD_UNCHANGED)
            for t in range(10)
        ]
        fw = [
            np.load(root / f'flow/{clip}/{clip}_{t:05d}_fw.npy').astype(np.float64)
            for t in range(9)
        ]
        bw = [
            np.load(root / f'flow/{clip}/{clip}_{t:05d}_bw.npy').astype(np.float64)
            for t in range(9, 0, -1)
        ]
        assert _track(labels, fw) > 0.9, clip
        assert _track(labels[::-1], bw) > 0.9, clip
        assert _track(labels, fw) > _track(labels, [0 * f for f in fw]) + 0.02, clip


def test_flow_files_are_consistent_with_each_other(small_pair):
    # Going forward then backward returns to the start (exact for static pixels, the vast majority).
    root = small_pair / 'target/train/flow/001'
    f = np.load(root / '001_00003_fw.npy').astype(np.float32)
    b = np.load(root / '001_00004_bw.npy').astype(np.float32)
    h, w = f.shape[:2]
    x = np.rint(np.arange(w)[None, :] + f[..., 0]).astype(int).clip(0, w - 1)
    y = np.rint(np.arange(h)[:, None] + f[..., 1]).astype(int).clip(0, h - 1)
    round_trip = f + b[y, x]
    assert np.mean(np.abs(round_trip).max(-1) < 0.75) > 0.9
    assert np.abs(f).max() > 0.05  # the camera moves


def _saturation(frames) -> float:
    return float(np.mean([cv2.cvtColor(f, cv2.COLOR_BGR2HSV)[..., 1].mean() for f in frames]))


def test_style_shift_desaturates_and_keeps_layout():
    kw = dict(height=32, width=64, length=3, layout_shift=0.5)
    source, target, middle = [], [], []
    for i in range(4):
        seed = clip_seed(0, 'target', 'val', i)
        a = render_clip(seed, style_shift=0.0, **kw)
        b = render_clip(seed, style_shift=1.0, **kw)
        m = render_clip(seed, style_shift=0.5, **kw)
        source += a.frames
        target += b.frames
        middle += m.frames
        # The style knob changes appearance only: same seed, same labels and flow.
        for la, lb in zip(a.labels, b.labels):
            np.testing.assert_array_equal(la, lb)
        np.testing.assert_array_equal(a.flow_fw[0], b.flow_fw[0])
    assert _saturation(target) < 0.6 * _saturation(source)
    assert _saturation(target) < _saturation(middle) < _saturation(source)


def test_layout_shift_changes_the_street():
    def stats(shift):
        counts = np.zeros(256)
        for i in range(6):
            clip = render_clip(
                clip_seed(0, 'target', 'train', i),
                height=32,
                width=64,
                length=2,
                style_shift=0.0,
                layout_shift=shift,
            )
            counts += np.bincount(clip.labels[0].ravel(), minlength=256)
        return counts / counts.sum()

    near, far = stats(0.0), stats(1.0)
    road, sky, veg = (VIDEO_UDA_CLASSES.index(n) for n in ('road', 'sky', 'vegetation'))
    assert far[road] > near[road] + 0.03  # wider road
    assert far[sky] < near[sky]  # higher horizon, taller buildings
    assert far[veg] < near[veg]  # fewer trees


def test_parameter_validation(tmp_path):
    with pytest.raises(ValueError, match='style_shift'):
        generate_synthetic_pair(tmp_path / 'x', style_shift=1.5)
    with pytest.raises(ValueError, match='clip_length'):
        generate_synthetic_pair(tmp_path / 'x', clip_length=1)
    with pytest.raises(ValueError, match='workers'):
        generate_synthetic_pair(tmp_path / 'x', **TINY, workers=0, verbose=False)
    assert not (tmp_path / 'x').exists()


def test_generator_version_switch(small_pair, tmp_path, monkeypatch):
    """A second generator version plugs in through GENERATORS: meta.json records its name and a
    pair of one version is never reused as the other's."""
    from uda_toolbox.data_prep.synthetic import v1

    other = types.ModuleType('fake_synthetic_v9')
    for name in ('RENDERED_CLASSES', 'render_clip', 'meta_factors'):
        setattr(other, name, getattr(v1, name))
    other.GENERATOR_VERSION = 'test.synthetic/9'
    monkeypatch.setitem(sys.modules, 'fake_synthetic_v9', other)
    monkeypatch.setitem(writer.GENERATORS, 9, 'fake_synthetic_v9')
    out = generate_synthetic_pair(tmp_path / 'v9', **TINY, version=9, verbose=False)
    meta, meta1 = (json.loads((root / 'meta.json').read_text()) for root in (out, small_pair))
    assert meta['generator_version'] == 'test.synthetic/9'
    assert {**meta, 'generator_version': None} == {**meta1, 'generator_version': None}
    files, files1 = _files(out), _files(small_pair)
    del files['meta.json'], files1['meta.json']
    assert files == files1  # the same renderer writes the same bytes
    with pytest.raises(FileExistsError, match="written by generator 'test.synthetic/9'"):
        ensure_synthetic_pair(out, **TINY, verbose=False)  # version 1 by default
    assert ensure_synthetic_pair(out, **TINY, version=9, verbose=False) == out
    with pytest.raises(ValueError, match=r'version must be one of \[1, 2, 9\], got 3'):
        generate_synthetic_pair(tmp_path / 'v3', **TINY, version=3, verbose=False)
    assert not (tmp_path / 'v3').exists()


# sha256 over the relative path and bytes of every file (sorted) of the TINY version-1 pair, as
# written by main at 2bcb500 (before version 2 existed). Version 1 must keep writing these bytes,
# so results on it stay comparable; a different OpenCV build could change the rendering, in which
# case this digest, not version 1, is what needs re-deciding.
V1_TINY_SHA256 = '1e48fee26c0924249478579fe714aade9251a932b3ee95e309899b6becd803f4'


def test_version1_writes_the_same_bytes_as_before_version2(small_pair):
    digest = hashlib.sha256()
    for path in sorted(small_pair.rglob('*')):
        if path.is_file():
            digest.update(str(path.relative_to(small_pair)).encode())
            digest.update(path.read_bytes())
    assert digest.hexdigest() == V1_TINY_SHA256
