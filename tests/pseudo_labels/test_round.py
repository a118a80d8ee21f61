"""Pseudo-label rounds on disk: complete rounds appear atomically, crashes leave nothing readable,
the dataset follows CURRENT; aggregation and statistics on hand-computed inputs."""
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from uda_toolbox.datasets import ClipDataset
from uda_toolbox.pseudo_labels import ClassBalancedPolicy, InstanceAdaptivePolicy
from uda_toolbox.pseudo_labels.predict import ClipPredictor, inference_size
from uda_toolbox.pseudo_labels.round import generate_round, instance_slices, label_clip
from uda_toolbox.pseudo_labels.stats import RoundStats
from uda_toolbox.pseudo_labels.temporal import aggregate_clip
from uda_toolbox.utils.rounds import (
    RoundError,
    damaged_labels,
    prepare_round_dir,
    publish_round,
    read_current,
)

NUM_CLASSES = 4


def fake_model(frames: torch.Tensor) -> torch.Tensor:
    """Deterministic 'probabilities' from the pixels: softmax of a fixed linear map of BGR."""
    x = frames.float() / 255.0  # (K, 3, H, W)
    weights = torch.tensor([[4.0, 0, 0], [0, 4.0, 0], [0, 0, 4.0], [1.0, 1.0, 1.0]])
    return torch.einsum('cj,kjhw->kchw', weights, x).softmax(dim=1)


def target_clips(root):
    dataset = ClipDataset(data_root=str(root),
                          data_prefix=dict(img_path='target/train/img',
                                           seg_map_path='target/train/cls'), mode='train')
    return [(c, [dict(f, clip_id=c) for f in dataset.clip_frames(c)]) for c in dataset.clip_ids()]


def read_round(directory):
    return {os.path.relpath(os.path.join(d, f), directory): open(os.path.join(d, f), 'rb').read()
            for d, _, files in os.walk(directory) for f in files}


def test_round_files_stats_and_dataset(tmp_path, tiny_pair):
    clips = target_clips(tiny_pair)
    out = tmp_path / 'pl'
    gt = {(c, f['frame_idx']): f['seg_map_path'] for c, frames in clips for f in frames}

    def load_gt(record):
        path = gt[(record['clip_id'], record['frame_idx'])]
        return None if path is None else cv2.imread(path, cv2.IMREAD_UNCHANGED)

    summary = generate_round(ClipPredictor(fake_model), clips, InstanceAdaptivePolicy(), 0, out_dir=str(out),
                             instance=1, load_gt=load_gt, progress=False, num_classes=15)
    assert read_current(str(out)) == 'round_0'
    assert not (out / 'round_0.tmp').exists()
    files = read_round(out / 'round_0')
    assert len(files) == sum(len(f) for _, f in clips) + 1  # + stats.json
    labelled = total = 0
    for clip_id, frames in clips:
        for f in frames:
            label = cv2.imread(str(out / 'round_0' / clip_id / f'{clip_id}_{f["frame_idx"]:05d}.png'),
                               cv2.IMREAD_UNCHANGED)
            assert label.shape == (32, 64) and set(np.unique(label)) <= {0, 1, 2, 3, 255}
            labelled += int((label != 255).sum())
            total += label.size
    assert summary['proportion'] == pytest.approx(labelled / total)
    assert summary['gt_frames'] == 6 and summary['p_miou'] is not None
    assert json.loads((out / 'round_0' / 'stats.json').read_text())['proportion'] == \
        pytest.approx(summary['proportion'])

    # The dataset reads the CURRENT round, re-reading the pointer for every item.
    dataset = ClipDataset(data_root=str(tiny_pair), data_prefix=dict(img_path='target/train/img'),
                          pseudo_label_dir=str(out),
                          pipeline=[dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations'),
                                    dict(type='PackClipInputs')])
    info = dataset.get_data_info(0)
    assert info['seg_map_paths'] == [str(out / 'round_0' / info['clip_id'] / f'{info["clip_id"]}_'
                                         f'{i:05d}.png') for i in info['frame_ids']]
    assert info['label_map'] is None
    loaded = dataset[0]['gt_seg'].numpy()
    expected = cv2.imread(info['seg_map_paths'][1], cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(loaded[1], expected)
    generate_round(ClipPredictor(fake_model), clips, InstanceAdaptivePolicy(), 1,
                   out_dir=str(out), instance=1, progress=False)
    assert dataset.get_data_info(0)['seg_map_paths'][0].startswith(str(out / 'round_1'))


def test_no_round_yet_means_ignored_labels(tmp_path, tiny_pair):
    dataset = ClipDataset(data_root=str(tiny_pair), data_prefix=dict(img_path='target/train/img'),
                          pseudo_label_dir=str(tmp_path / 'none'),
                          pipeline=[dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations'),
                                    dict(type='PackClipInputs')])
    assert dataset.get_data_info(3)['seg_map_paths'] == [None, None]
    assert (dataset[3]['gt_seg'] == 255).all()
    with pytest.raises(ValueError, match='pseudo_label_dir'):
        ClipDataset(data_root=str(tiny_pair), data_prefix=dict(
            img_path='target/val/img', seg_map_path='target/val/cls'), mode='test',
            pseudo_label_dir=str(tmp_path))


def test_crash_mid_round_keeps_previous_round(tmp_path, tiny_pair):
    clips = target_clips(tiny_pair)
    out = tmp_path / 'pl'
    generate_round(ClipPredictor(fake_model), clips, ClassBalancedPolicy(), 0, out_dir=str(out),
                   progress=False)
    before = read_round(out / 'round_0')
    calls = []
    per_clip = -(-len(clips[0][1]) // 8)  # model calls per clip (batch_size 8)

    def dying_model(frames):
        calls.append(1)
        # Pass 1 (statistics, every clip) done; dies in pass 2 after one clip's labels.
        if len(calls) > (len(clips) + 1) * per_clip:
            raise KeyboardInterrupt('killed')
        return fake_model(frames)

    with pytest.raises(KeyboardInterrupt):
        generate_round(ClipPredictor(dying_model), clips, ClassBalancedPolicy(), 1,
                       out_dir=str(out), progress=False, cache_limit_mb=0)  # no cache: pass 2 predicts again
    partial = read_round(out / 'round_1.tmp')
    assert 0 < len(partial) < len(before)  # half-written ...
    assert not (out / 'round_1').exists()  # ... never published
    assert read_current(str(out)) == 'round_0'
    assert read_round(out / 'round_0') == before
    dataset = ClipDataset(data_root=str(tiny_pair), data_prefix=dict(img_path='target/train/img'),
                          pseudo_label_dir=str(out))
    assert all('round_0' in p for i in range(len(dataset))
               for p in dataset.get_data_info(i)['seg_map_paths'])

    # The retry removes the partial directory and publishes a complete round.
    generate_round(ClipPredictor(fake_model), clips, ClassBalancedPolicy(), 1, out_dir=str(out),
                   progress=False, cache_limit_mb=0)
    assert read_current(str(out)) == 'round_1' and not (out / 'round_1.tmp').exists()
    assert len(read_round(out / 'round_1')) == len(before)


FULL_DISK_ROUND = """
import resource, signal, sys
sys.path.insert(0, {tests!r})
import uda_toolbox.pseudo_labels.round as round_module
from test_round import ClipPredictor, InstanceAdaptivePolicy, fake_model, generate_round, target_clips
from uda_toolbox import register_all_modules
register_all_modules()
clips = target_clips({pair!r})
# A brief full disk while the labels are written: a file may grow to 64 bytes and writes beyond
# fail with EFBIG (the process ignores the SIGXFSZ that would kill it), as they fail with ENOSPC
# on a full disk; the space is back when the round is published.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (64, limit[1]))
publish = round_module.publish_round

def publish_with_space_back(*args, **kwargs):
    resource.setrlimit(resource.RLIMIT_FSIZE, limit)
    return publish(*args, **kwargs)

round_module.publish_round = publish_with_space_back
generate_round(ClipPredictor(fake_model), clips, InstanceAdaptivePolicy(), 0, out_dir={out!r},
               instance=1, progress=False)
"""


def test_full_disk_never_publishes_a_broken_round(tmp_path, tiny_pair):
    """cv2.imwrite reports success on a full disk and leaves cut-off files; the round must fail
    with the error instead of being published with broken labels."""
    out = tmp_path / 'pl'
    script = FULL_DISK_ROUND.format(tests=os.path.dirname(__file__), pair=str(tiny_pair),
                                    out=str(out))
    proc = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert proc.returncode != 0, 'the round was written on a full disk without an error'
    assert 'File too large' in proc.stderr, proc.stderr[-2000:]
    assert read_current(str(out)) is None and not (out / 'round_0').exists()


def test_publish_checks_every_label_file(tmp_path):
    """A writer that lost bytes silently: the round is not published, the error names a file."""
    out = tmp_path / 'pl'
    tmp_dir = prepare_round_dir(str(out), 'round_0')
    good = cv2.imencode('.png', np.zeros((4, 4), np.uint8))[1].tobytes()
    files = []
    for name, data in (('a.png', good), ('b.png', b''), ('c.png', good[:-12])):
        files.append(os.path.join(tmp_dir, '000', name))
        os.makedirs(os.path.dirname(files[-1]), exist_ok=True)
        with open(files[-1], 'wb') as f:
            f.write(data)
    with pytest.raises(RoundError) as err:
        publish_round(str(out), 'round_0', files, summary={})
    message = str(err.value)
    assert '2 label files are empty or cut off' in message and files[1] in message
    assert 'disk' in message and '--resume' in message
    assert read_current(str(out)) is None and not (out / 'round_0').exists()
    assert damaged_labels(files) == files[1:]


def test_two_pass_cache_equals_recompute(tmp_path, tiny_pair):
    clips = target_clips(tiny_pair)
    cached = generate_round(ClipPredictor(fake_model), clips, ClassBalancedPolicy(portion=0.3), 0,
                            out_dir=str(tmp_path / 'a'), progress=False)
    recomputed = generate_round(ClipPredictor(fake_model), clips, ClassBalancedPolicy(portion=0.3),
                                0, out_dir=str(tmp_path / 'b'), progress=False, cache_limit_mb=0)
    assert cached['proportion'] == pytest.approx(recomputed['proportion'], abs=2e-3)
    assert 0.25 < cached['proportion'] < 0.35  # about the portion p of every predicted class


def test_aggregate_static_scene_averages_neighbours():
    # Identical frames, zero flow: nothing occluded, so Eq. 10 is the plain average of the
    # frame and its neighbours (two for inner frames, one for the ends).
    k, c, h, w = 4, 3, 5, 6
    probs = torch.rand(k, c, h, w).softmax(dim=1)
    frames = np.full((k, h, w, 3), 128, np.uint8)
    zero = torch.zeros(k - 1, 2, h, w)
    out = aggregate_clip(probs, frames, zero, zero, chunk=2)
    torch.testing.assert_close(out[0], (probs[0] + probs[1]) / 2)
    torch.testing.assert_close(out[1], (probs[0] + probs[1] + probs[2]) / 3)
    torch.testing.assert_close(out[3], (probs[2] + probs[3]) / 2)
    # A neighbour whose frame looks different (photometric test fails) is left out.
    frames[2] = 0
    out = aggregate_clip(probs, frames, zero, zero)
    torch.testing.assert_close(out[1], (probs[0] + probs[1]) / 2)
    torch.testing.assert_close(out[2], probs[2])


def test_round_stats_p_miou_by_hand():
    stats = RoundStats(num_classes=3)
    label = np.array([[0, 0, 1, 255], [2, 2, 255, 255]], np.uint8)
    gt = np.array([[0, 1, 1, 1], [2, 0, 255, 2]], np.uint8)
    stats.add(label, gt)
    out = stats.summary()
    assert out['proportion'] == pytest.approx(5 / 8)
    # Pixels labelled in both: (0,0) (1,0) (1,1) (2,2) (0,2): IoU0 = 1/3, IoU1 = 1/2, IoU2 = 1/2.
    assert out['p_miou'] == pytest.approx(100 * (1 / 3 + 1 / 2 + 1 / 2) / 3)
    assert out['p_acc'] == pytest.approx(60.0)
    assert out['gt_proportion'] == pytest.approx(5 / 7)


def test_instances_and_sizes():
    assert instance_slices(5, 'clip') == [slice(0, 5)]
    assert instance_slices(5, 2) == [slice(0, 2), slice(2, 4), slice(4, 5)]
    with pytest.raises(ValueError):
        instance_slices(5, 0)
    assert inference_size(1024, 2048, (1024, 512)) == (512, 1024)
    assert inference_size(32, 64, None) == (32, 64)
    # Clip-adaptive thresholds: one instance for the whole clip (same theta on every frame).
    probs = torch.rand(3, 4, 2, 2).softmax(dim=1)
    policy = InstanceAdaptivePolicy()
    labels = label_clip(policy, probs, 'clip')
    conf, pred = probs.max(dim=1)
    keep = conf.numpy() >= policy.theta[pred.numpy()]
    np.testing.assert_array_equal(labels, np.where(keep, pred.numpy(), 255))


def test_two_pass_thresholds_and_labels_use_the_same_numbers():
    # Issue 16: class 0 of one 32 x 48 frame with confidences 1 - 10 n 2^-24 (n = 1..1536, each
    # exact in float32). At p = 0.2, k_0 is the floor(0.2 * 1536) = 307-th largest confidence
    # (1 - 3070 * 2^-24), so exactly 307 pixels reach it. Labels from float16-rounded
    # probabilities would take every confidence >= 1 - 2^-12 as 1.0 (409 pixels).
    n = torch.arange(1, 1537, dtype=torch.float64) * 10
    d = (n * 2.0 ** -24).reshape(1, 1, 32, 48)
    probs = torch.cat([1 - d, d], dim=1).float()
    assert probs[:, 0].unique().numel() == 1536  # distinct in float32: no ties at k_0

    def predictor(records, timings):
        return probs.clone(), (32, 48)

    clips = [('000', [dict(frame_idx=0, img_path='000/000_00000.png')])]
    for cache_limit_mb in (1024.0, 0.0):  # predictions kept between the passes, or recomputed
        policy = ClassBalancedPolicy(portion=0.2)
        summary = generate_round(predictor, clips, policy, 0, num_classes=2, progress=False,
                                 cache_limit_mb=cache_limit_mb)
        assert policy.thresholds[0] == pytest.approx(1 - 3070 * 2.0 ** -24, abs=1e-12)
        assert summary['proportion'] * 1536 == pytest.approx(307)


def test_soft_label_round_is_written_beside_the_hard_labels_and_read_back(tmp_path, tiny_pair):
    from uda_toolbox.pseudo_labels import LabelEntropyPolicy
    clips = target_clips(tiny_pair)
    out = tmp_path / 'pl'
    summary = generate_round(ClipPredictor(fake_model), clips, LabelEntropyPolicy(portion=0.3), 0,
                             out_dir=str(out), progress=False)
    for clip_id, frames in clips:
        for f in frames:
            stem = out / 'round_0' / clip_id / f'{clip_id}_{f["frame_idx"]:05d}'
            hard = cv2.imread(f'{stem}.png', cv2.IMREAD_UNCHANGED)
            soft = cv2.imread(f'{stem}_soft.png', cv2.IMREAD_UNCHANGED)
            assert soft.shape == hard.shape + (3,)
            np.testing.assert_array_equal(soft[..., 0], hard)  # channel 0: the hard label
            selected = hard != 255
            assert (soft[..., 2][selected] >= 128).all()  # the first class has the larger share
            assert (soft[..., 1][selected] != hard[selected]).all()
    assert 0 < summary['proportion'] < 1
    # The self-training dataset gives the soft-label paths; LoadClipSoftLabels reads them in
    # step with the hard labels.
    dataset = ClipDataset(data_root=str(tiny_pair), data_prefix=dict(img_path='target/train/img'),
                          pseudo_label_dir=str(out),
                          pipeline=[dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations'),
                                    dict(type='LoadClipSoftLabels'),
                                    dict(type='ClipRandomFlip', prob=1.0),
                                    dict(type='PackClipInputs')])
    item = dataset[0]
    assert item['gt_soft'].shape == item['gt_seg'].shape + (3,)
    assert torch.equal(item['gt_soft'][..., 0], item['gt_seg'])
