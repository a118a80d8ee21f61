"""Issue 24: ClipSegMetric counts a test batch at once (``batch_frame_counts``); every frame's
confusion matrix, prediction-over-void histogram and VPQ^s statistics must equal those of the
per-frame functions, and ``process`` must store what the per-frame ``process`` stored before."""
import numpy as np
import pytest
import torch

from uda_toolbox.evaluation import ClipSegMetric
from uda_toolbox.evaluation.metrics import (
    batch_frame_counts,
    batch_vpq_stats_from_counts,
    frame_counts,
    tube_pq_counts,
    vpq_from_frame_stats,
    vpq_stats_from_counts,
)


def random_batch(rng, frames, shape, num_classes, ignore_index, pred_dtype, gt_dtype, void=0.2):
    preds = [rng.integers(0, num_classes, shape).astype(pred_dtype) for _ in range(frames)]
    gts = []
    for _ in range(frames):
        gt = rng.integers(0, num_classes, shape)
        gt[rng.random(shape) < void] = ignore_index
        gts.append(gt.astype(gt_dtype))
    return preds, gts


def per_frame(preds, gts, num_classes, ignore_index):
    pairs = [frame_counts(p, g, num_classes, ignore_index) for p, g in zip(preds, gts)]
    return [c for c, _ in pairs], [v for _, v in pairs]


CASES = [  # frames, shape, classes, ignore, pred dtype, gt dtype
    (4, (6, 9), 15, 255, np.int64, np.uint8),   # the usual test batch
    (1, (5, 7), 3, 255, np.uint8, np.uint8),
    (3, (4, 4), 19, 255, np.int64, np.int64),   # int64 labels: range checked
    (5, (8, 3), 4, 2, np.uint8, np.int32),      # ignore_index is a class id
    (2, (7, 7), 300, 255, np.int64, np.int64),  # more bins than uint16 holds
    (6, (3, 5), 7, 7, np.int16, np.uint16),
]


@pytest.mark.parametrize('case', range(len(CASES)))
def test_batch_counts_equal_frame_counts(case):
    frames, shape, num_classes, ignore, pred_dtype, gt_dtype = CASES[case]
    rng = np.random.default_rng(case)
    preds, gts = random_batch(rng, frames, shape, num_classes, ignore, pred_dtype, gt_dtype)
    conf, pred_void = batch_frame_counts(preds, gts, num_classes, ignore)
    ref_conf, ref_void = per_frame(preds, gts, num_classes, ignore)
    assert conf.dtype == pred_void.dtype == np.int64
    assert np.array_equal(conf, np.stack(ref_conf)) and np.array_equal(pred_void, np.stack(ref_void))
    stats = batch_vpq_stats_from_counts(conf, pred_void)
    for i in range(frames):
        assert np.array_equal(stats[i], vpq_stats_from_counts(ref_conf[i], ref_void[i]))
    # The counts add up: every labelled pixel in conf, every void one in pred_void.
    labelled = sum(int((g != ignore).sum()) for g in gts)
    assert conf.sum() == labelled and pred_void.sum() == frames * np.prod(shape) - labelled


def test_batches_the_fast_path_cannot_take_are_counted_frame_by_frame():
    rng = np.random.default_rng(7)
    preds, gts = random_batch(rng, 3, (4, 6), 5, 255, np.int64, np.uint8)
    cases = [
        ([preds[0], preds[1][:3], preds[2]], [gts[0], gts[1][:3], gts[2]]),  # shapes differ
        ([p.astype(np.float32) for p in preds], gts),                       # float predictions
        ([preds[0].astype(np.uint64)] + preds[1:], [g.astype(np.int64) for g in gts]),  # -> float64
    ]
    for ps, gs in cases:
        conf, pred_void = batch_frame_counts(ps, gs, 5, 255)
        ref_conf, ref_void = per_frame(ps, gs, 5, 255)
        assert np.array_equal(conf, np.stack(ref_conf)) and np.array_equal(pred_void, np.stack(ref_void))
    conf, pred_void = batch_frame_counts([], [], 5, 255)
    assert conf.shape == (0, 5, 5) and pred_void.shape == (0, 5)


@pytest.mark.parametrize('bad', ['gt_value', 'pred_value', 'negative_gt'])
def test_invalid_values_raise_the_per_frame_error(bad):
    rng = np.random.default_rng(3)
    preds, gts = random_batch(rng, 3, (4, 4), 5, 255, np.int64, np.int64)
    if bad == 'gt_value':
        gts[1][0, 0] = 9  # neither a class nor ignore_index
    elif bad == 'pred_value':
        preds[2][1, 1] = 5
    else:
        gts[0][2, 2] = -1
    with pytest.raises(ValueError) as batch_err:
        batch_frame_counts(preds, gts, 5, 255)
    with pytest.raises(ValueError) as frame_err:
        per_frame(preds, gts, 5, 255)
    assert str(batch_err.value) == str(frame_err.value)


def frozen_process(metric, data_samples):
    """ClipSegMetric.process before issue 24 (frozen copy, do not edit): one frame at a time."""
    num_classes = metric._get_num_classes()
    for sample in data_samples:
        pred = sample['pred_sem_seg']['data'][0].numpy()
        gt = sample['gt_sem_seg']['data'][0].numpy()
        conf, pred_void = frame_counts(pred, gt, num_classes, metric.ignore_index)
        metric.results.append((str(sample['clip_id']), int(sample['frame_idx']), conf,
                               vpq_stats_from_counts(conf, pred_void)))


def test_process_and_metrics_equal_the_per_frame_process():
    rng = np.random.default_rng(11)
    new = ClipSegMetric(num_classes=6, window_sizes=(0, 2), frame_interval=1)
    old = ClipSegMetric(num_classes=6, window_sizes=(0, 2), frame_interval=1)
    for clip in range(3):
        for start in range(0, 6, 3):  # batches of 3 frames
            preds, gts = random_batch(rng, 3, (5, 8), 6, 255, np.int64, np.uint8, void=0.3)
            samples = [dict(pred_sem_seg=dict(data=torch.from_numpy(p)[None]),
                            gt_sem_seg=dict(data=torch.from_numpy(g)[None]),
                            clip_id=f'{clip:03d}', frame_idx=start + i)
                       for i, (p, g) in enumerate(zip(preds, gts))]
            new.process(None, samples)
            frozen_process(old, samples)
    assert len(new.results) == len(old.results) == 18
    for a, b in zip(new.results, old.results):
        assert a[:2] == b[:2] and np.array_equal(a[2], b[2]) and np.array_equal(a[3], b[3])
    assert new.compute_metrics(new.results) == old.compute_metrics(old.results)


def frozen_vpq_from_frame_stats(clips, window_sizes, frame_interval):
    """The per-window pooling of vpq_from_frame_stats before issue 24's last change (frozen
    copy, do not edit): one cumulative sum per clip, the tubes' IoUs summed clip by clip."""
    cumulative = [np.concatenate([np.zeros_like(a[:1]), np.cumsum(a, axis=0)])
                  for a in (np.asarray(np.stack(s), dtype=np.int64) for s in clips.values())]
    c = cumulative[0].shape[2]
    per_window = {}
    for k in window_sizes:
        nframes = k // frame_interval + 1
        tubes = [cs[nframes:] - cs[:-nframes] for cs in cumulative if cs.shape[0] > nframes]
        iou_sum = np.zeros(c, np.float64)
        if tubes:
            w_tp, w_fp, w_fn, w_iou = tube_pq_counts(np.concatenate(tubes))
            tp, fp, fn = w_tp.sum(0), w_fp.sum(0), w_fn.sum(0)
            start = 0
            for clip_tubes in tubes:
                iou_sum += w_iou[start:start + clip_tubes.shape[0]].sum(0)
                start += clip_tubes.shape[0]
        else:
            tp, fp, fn = (np.zeros(c, np.int64) for _ in range(3))
            start = 0
        per_window[k] = dict(iou_sum=iou_sum, tp=tp, fp=fp, fn=fn, num_windows=start)
    return per_window


@pytest.mark.parametrize('seed', range(4))
def test_window_pooling_equals_the_per_clip_pooling(seed):
    """Tubes from one running sum over all clips, one matching call for every window size: the
    same integer counts and bit-identical float IoU sums as the per-clip code, for clips
    of every length (shorter than a window, one window, many tubes: summation order matters)."""
    rng = np.random.default_rng(seed)
    clips = {}
    for clip, length in enumerate(rng.permutation([1, 2, 3, 5, 9, 17, 40, 64] + [4] * 12)):
        _, gts = random_batch(rng, int(length), (6, 7), 5, 255, np.int64, np.uint8, void=0.2)
        # Predictions near the ground truth (10 % of the pixels changed): most tubes match, so
        # the IoU sums are sums of many non-trivial floats, whose order shows in the last bits.
        preds = [np.where((g == 255) | (rng.random(g.shape) < 0.1),
                          rng.integers(0, 5, g.shape), g) for g in gts]
        conf, pred_void = batch_frame_counts(preds, gts, 5, 255)
        stats = batch_vpq_stats_from_counts(conf, pred_void)
        clips[f'{clip:02d}'] = list(stats)
    windows = (0, 1, 2, 4, 16, 63, 64)
    new = vpq_from_frame_stats(clips, windows, 1)['per_window']
    old = frozen_vpq_from_frame_stats(clips, windows, 1)
    assert [new[k]['num_windows'] for k in windows] == [old[k]['num_windows'] for k in windows]
    assert old[64]['num_windows'] == 0 and old[0]['num_windows'] == 189
    for k in windows:
        for key in ('iou_sum', 'tp', 'fp', 'fn'):
            assert new[k][key].dtype == old[k][key].dtype
            assert np.array_equal(new[k][key], old[k][key]), (k, key)
    assert (old[0]['tp'] > 20).all()  # many matched tubes per class
