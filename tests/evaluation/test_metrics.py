"""Tests of uda_toolbox.evaluation: mIoU / VPQ^s functions, ClipSegMetric, tables."""
import math
import random

import numpy as np
import pytest
import torch

from uda_toolbox.evaluation import (
    ClipSegMetric,
    format_class_table,
    frame_counts,
    frame_vpq_stats,
    iou_from_confusion,
    metrics_to_tables,
    tube_pq_counts,
    vpq_from_frame_stats,
)

V = 255  # void / ignore label


def confusion_matrix(pred, gt, num_classes):
    """(C, C) confusion matrix of one frame, rows = gt, cols = pred, void excluded."""
    return frame_counts(pred, gt, num_classes, V)[0]


def row(*segments):
    """(1, N) map from (value, length) runs, e.g. row((0, 4), (V, 2))."""
    return np.concatenate([np.full(n, v, np.int64) for v, n in segments])[None]


def vpq_of(frames, num_classes, window_sizes=(0, ), frame_interval=5):
    """VPQ result of one clip given as a list of (pred, gt) maps."""
    stats = [frame_vpq_stats(p, g, num_classes) for p, g in frames]
    return vpq_from_frame_stats({'000': stats}, window_sizes, frame_interval)


# --------------------------------------------------------------------------- #
# Per-frame counting and mIoU
# --------------------------------------------------------------------------- #
def test_confusion_matrix_and_stats_by_hand():
    gt = np.array([[0, 0, 1, V], [1, 2, 2, V]])
    pred = np.array([[0, 1, 1, 2], [1, 2, 0, 2]])
    conf = confusion_matrix(pred, gt, 3)
    assert conf.dtype == np.int64
    np.testing.assert_array_equal(conf, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    stats = frame_vpq_stats(pred, gt, 3)
    np.testing.assert_array_equal(stats, [[1, 2, 1],   # intersection
                                          [2, 3, 3],   # pred area incl. void
                                          [2, 2, 2],   # gt area
                                          [0, 0, 2]])  # pred on void
    iou = iou_from_confusion(conf)
    np.testing.assert_allclose(iou, [1 / 3, 2 / 3, 1 / 2])


def test_iou_nan_where_union_empty():
    conf = np.array([[3, 0, 0], [1, 0, 0], [0, 0, 0]])
    iou = iou_from_confusion(conf)
    assert iou[0] == pytest.approx(0.75) and iou[1] == 0 and math.isnan(iou[2])


def test_invalid_values_raise():
    with pytest.raises(ValueError, match='prediction values'):
        confusion_matrix(np.array([[0, 3]]), np.array([[0, 1]]), 3)
    with pytest.raises(ValueError, match='label values'):
        confusion_matrix(np.array([[0, 1]]), np.array([[0, 7]]), 3)
    with pytest.raises(ValueError, match='shape'):
        confusion_matrix(np.zeros((2, 2), int), np.zeros((2, 3), int), 3)
    with pytest.raises(ValueError, match='multiple of'):
        vpq_from_frame_stats({'a': [np.zeros((4, 2), int)]}, (0, 7), 5)


# --------------------------------------------------------------------------- #
# VPQ^s: hand-computed cases
# --------------------------------------------------------------------------- #
def test_perfect_prediction_is_100_even_with_predictions_on_void():
    gt = row((0, 3), (1, 2), (V, 3))
    pred = row((0, 3), (1, 2), (2, 3))  # whatever is predicted on void is ignored
    res = vpq_of([(pred, gt)] * 3, 3, window_sizes=(0, 5, 10))
    assert res['vpq'] == pytest.approx(1.0)
    for k in (0, 5, 10):
        np.testing.assert_allclose(res['per_window'][k]['pq'][:2], 1.0)
        # class 2 exists only on void: not a FP, so excluded (NaN)
        assert math.isnan(res['per_window'][k]['pq'][2])
    assert np.nanmean(iou_from_confusion(confusion_matrix(pred, gt, 3))) == 1.0


def test_disjoint_prediction_is_0():
    gt = row((0, 6))
    pred = row((1, 6))
    res = vpq_of([(pred, gt)], 2)
    w = res['per_window'][0]
    np.testing.assert_array_equal(w['fn'], [1, 0])
    np.testing.assert_array_equal(w['fp'], [0, 1])
    assert res['vpq'] == 0.0
    assert np.nanmean(iou_from_confusion(confusion_matrix(pred, gt, 2))) == 0.0


@pytest.mark.parametrize(
    'pred_len0, n, is_tp',
    [
        (99, 100, True),    # IoU(class 0) = 50 / 99 > 0.5
        (100, 100, False),  # IoU = 50 / 100 == 0.5 is not a match (strict >)
        (101, 102, False),  # IoU = 50 / 101 < 0.5
    ])
def test_iou_threshold(pred_len0, n, is_tp):
    gt = row((0, 50), (1, n - 50))
    pred = row((0, pred_len0), (1, n - pred_len0))
    w = vpq_of([(pred, gt)], 2)['per_window'][0]
    if is_tp:
        assert (w['tp'][0], w['fp'][0], w['fn'][0]) == (1, 0, 0)
        assert w['pq'][0] == pytest.approx(50 / 99)
    else:
        assert (w['tp'][0], w['fp'][0], w['fn'][0]) == (0, 1, 1)
        assert w['pq'][0] == 0.0
    # class 1: IoU 1/50 when pred has 1 pixel (FN + FP), FN only when pred has none
    assert w['tp'][1] == 0 and w['fn'][1] == 1 and w['fp'][1] == int(n - pred_len0 > 0)
    expected_vpq = (50 / 99) / 2 if is_tp else 0.0
    assert vpq_of([(pred, gt)], 2)['vpq'] == pytest.approx(expected_vpq)


def test_void_pixels_are_removed_from_the_union():
    gt = row((0, 4), (V, 6))
    pred = row((0, 10))  # 6 of the 10 predicted pixels lie on void
    stats = frame_vpq_stats(pred, gt, 2)
    np.testing.assert_array_equal(stats[:, 0], [4, 10, 4, 6])
    w = vpq_of([(pred, gt)], 2)['per_window'][0]
    assert w['tp'][0] == 1 and w['iou_sum'][0] == pytest.approx(1.0)  # 4 / (10 + 4 - 4 - 6)


@pytest.mark.parametrize('void_px, pred_px, is_fp', [
    (4, 8, True),    # exactly half on void: still a FP (needs > 0.5)
    (4, 7, False),   # 4/7 > 0.5 on void: ignored
    (3, 7, True),    # 3/7 on void: FP
])
def test_unmatched_prediction_mostly_on_void_is_not_fp(void_px, pred_px, is_fp):
    # class 1 is predicted but absent from the labels
    gt = row((0, 10 - void_px), (V, void_px))
    pred = row((0, 10 - pred_px), (1, pred_px))
    w = vpq_of([(pred, gt)], 2)['per_window'][0]
    assert w['fp'][1] == int(is_fp) and w['tp'][1] == 0 and w['fn'][1] == 0
    if not is_fp:
        assert math.isnan(w['pq'][1])  # TP + FP + FN == 0: class left out of the mean


def test_tube_pq_counts_vectorised_over_windows():
    # columns: classes; each (4, C) block a tube. [inter, pred, gt, pred_void]
    tubes = np.array([[[5, 0, 0], [6, 0, 4], [9, 3, 0], [0, 0, 3]],
                      [[4, 0, 0], [8, 1, 0], [8, 0, 0], [0, 1, 0]]])
    tp, fp, fn, iou = tube_pq_counts(tubes)
    # tube 0: class 0 IoU 5/10 -> FP+FN; class 1 gt only -> FN; class 2 pred 3/4 void -> nothing
    # tube 1: class 0 IoU 4/12 -> FP+FN; class 1 all on void -> nothing
    np.testing.assert_array_equal(tp, [[0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(fp, [[1, 0, 0], [1, 0, 0]])
    np.testing.assert_array_equal(fn, [[1, 1, 0], [1, 0, 0]])
    tp, fp, fn, iou = tube_pq_counts(np.array([[6], [8], [8], [1]]))  # 6 / (8+8-6-1)
    assert tp[0] == 1 and iou[0] == pytest.approx(6 / 9)


def flicker_clip():
    """3 annotated frames; class 1 vanishes from the prediction in the middle one."""
    gt = row((0, 4), (1, 2))
    return [(gt, gt), (row((0, 6)), gt), (gt, gt)]


def test_window_size_changes_vpq_on_flicker():
    res = vpq_of(flicker_clip(), 2, window_sizes=(0, 5, 10))
    w0, w5, w10 = (res['per_window'][k] for k in (0, 5, 10))
    assert [w0['num_windows'], w5['num_windows'], w10['num_windows']] == [3, 2, 1]
    # k=0: class 0 IoUs 1, 4/6, 1 (3 TP); class 1 TP, FN, TP
    np.testing.assert_allclose(w0['pq'], [(2 + 4 / 6) / 3, 2 / 2.5])
    # k=5: class 0 IoU 8/10 in both windows; class 1 IoU 2/4 = 0.5 -> FP+FN twice
    np.testing.assert_allclose(w5['pq'], [0.8, 0.0])
    np.testing.assert_array_equal(w5['fp'], [0, 2])
    # k=10: one tube; class 0 IoU 12/14, class 1 IoU 4/6
    np.testing.assert_allclose(w10['pq'], [6 / 7, 2 / 3])
    vpq_k = [(8 / 9 + 0.8) / 2, 0.4, (6 / 7 + 2 / 3) / 2]
    assert [w0['vpq'], w5['vpq'], w10['vpq']] == pytest.approx(vpq_k)
    assert vpq_k[0] != pytest.approx(vpq_k[2])
    assert res['vpq'] == pytest.approx(np.mean(vpq_k))
    np.testing.assert_allclose(res['pq_per_class'],
                               [(8 / 9 + 0.8 + 6 / 7) / 3, (0.8 + 0 + 2 / 3) / 3])


def test_windows_do_not_cross_clips_and_short_clips_have_none():
    gt = row((0, 2))
    s = frame_vpq_stats(gt, gt, 1)
    res = vpq_from_frame_stats({'a': [s, s], 'b': [s, s], 'c': [s]}, (0, 5, 10), 5)
    assert [res['per_window'][k]['num_windows'] for k in (0, 5, 10)] == [5, 2, 0]
    assert math.isnan(res['per_window'][10]['vpq'])
    assert res['vpq'] == pytest.approx(1.0)  # mean over the k that have windows


def naive_vpq(clips, num_classes, nframes):
    """Deliberately literal per-window segment matching (eval_vpq.py structure).

    Segment ids: gt class c -> c + 1 with void -> 0, pred class c -> c + 1.
    """
    tp = np.zeros(num_classes)
    fp = np.zeros(num_classes)
    fn = np.zeros(num_classes)
    iou_sum = np.zeros(num_classes)
    for frames in clips.values():
        for start in range(len(frames) - nframes + 1):
            win = frames[start:start + nframes]
            gt_ids = np.concatenate([np.where(g == V, 0, g + 1).ravel() for _, g in win])
            pred_ids = np.concatenate([p.ravel() + 1 for p, _ in win])
            gt_area = dict(zip(*np.unique(gt_ids[gt_ids > 0], return_counts=True)))
            pred_area = dict(zip(*np.unique(pred_ids, return_counts=True)))
            pairs, counts = np.unique(gt_ids * 1000 + pred_ids, return_counts=True)
            inter = {(int(a) // 1000, int(a) % 1000): int(n) for a, n in zip(pairs, counts)}
            matched = set()
            for (g, p), n in inter.items():
                if g == 0 or g != p:
                    continue
                union = pred_area[p] + gt_area[g] - n - inter.get((0, p), 0)
                if n / union > 0.5:
                    tp[g - 1] += 1
                    iou_sum[g - 1] += n / union
                    matched.add(g)
            for g in gt_area:
                if g not in matched:
                    fn[g - 1] += 1
            for p in pred_area:
                if p not in matched and inter.get((0, p), 0) / pred_area[p] <= 0.5:
                    fp[p - 1] += 1
    denom = tp + fp / 2 + fn / 2
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(denom > 0, iou_sum / denom, np.nan)


def test_matches_naive_reference_on_random_clips():
    rng = np.random.default_rng(0)
    num_classes = 4
    clips = {}
    for c in range(3):
        frames = []
        for _ in range(int(rng.integers(2, 6))):
            # blocky maps so that IoUs spread around 0.5
            gt = np.repeat(np.repeat(rng.integers(0, num_classes, (3, 4)), 3, 0), 3, 1)
            gt[rng.random(gt.shape) < rng.uniform(0.05, 0.7)] = V
            pred = gt.copy()
            noise = rng.random(gt.shape) < rng.uniform(0.1, 0.6)
            pred[noise] = rng.integers(0, num_classes, noise.sum())
            pred[pred == V] = rng.integers(0, num_classes, (pred == V).sum())
            frames.append((pred, gt))
        clips[f'{c:03d}'] = frames
    stats = {cid: [frame_vpq_stats(p, g, num_classes) for p, g in fr] for cid, fr in clips.items()}
    res = vpq_from_frame_stats(stats, (0, 5, 10, 15), 5)
    # the data exercise matches, misses and unmatched predictions left out for void
    frame = np.concatenate(list(stats.values()))
    tp, fp, _, _ = tube_pq_counts(frame)
    on_void = (frame[:, 1] > 0) & (tp == 0) & (fp == 0)
    assert tp.sum() > 0 and fp.sum() > 0 and on_void.sum() > 0
    for k in (0, 5, 10, 15):
        np.testing.assert_allclose(res['per_window'][k]['pq'],
                                   naive_vpq(clips, num_classes, k // 5 + 1), equal_nan=True)


# --------------------------------------------------------------------------- #
# ClipSegMetric
# --------------------------------------------------------------------------- #
def make_sample(pred, gt, clip_id, frame_idx):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.as_tensor(np.asarray(pred)).reshape(1, *pred.shape[-2:]))
    s.gt_sem_seg = PixelData(data=torch.as_tensor(np.asarray(gt)).reshape(1, *gt.shape[-2:]))
    s.set_metainfo(dict(clip_id=clip_id, frame_idx=frame_idx, img_path=f'{clip_id}_{frame_idx}'))
    return s.to_dict()


def build_metric(classes, **kwargs):
    from uda_toolbox.registry import METRICS
    metric = METRICS.build(dict(type='ClipSegMetric', window_sizes=(0, 5, 10), **kwargs))
    assert isinstance(metric, ClipSegMetric)
    metric.dataset_meta = dict(classes=classes)
    return metric


def test_clip_seg_metric_end_to_end_and_sorts_interleaved_frames():
    classes = ('road', 'traffic light')
    flicker = flicker_clip()
    perfect = [(g, g) for _, g in flicker]
    samples = [make_sample(p, g, '001', 4 + 5 * i) for i, (p, g) in enumerate(flicker)]
    samples += [make_sample(p, g, '000', 4 + 5 * i) for i, (p, g) in enumerate(perfect)]
    random.Random(0).shuffle(samples)  # as if two ranks interleaved their frames
    metric = build_metric(classes, prefix='val')
    for i in range(0, len(samples), 2):
        metric.process({}, samples[i:i + 2])
    out = metric.evaluate(size=len(samples))

    # clip 000 adds 1 perfect window per frame / tube to both classes
    pq0 = {0: [(3 + 2 + 4 / 6) / 6, (3 + 2) / 5.5],
           5: [(2 + 1.6) / 4, 2 / 4],  # class 1: 2 TP (IoU 1) + FP,FN twice
           10: [(1 + 6 / 7) / 2, (1 + 2 / 3) / 2]}
    for k, pq in pq0.items():
        assert out[f'val/VPQ_k{k}.road'] == pytest.approx(100 * pq[0])
        assert out[f'val/VPQ_k{k}.traffic light'] == pytest.approx(100 * pq[1])
        assert out[f'val/VPQ_k{k}'] == pytest.approx(100 * np.mean(pq))
    assert out['val/VPQ'] == pytest.approx(100 * np.mean([np.mean(p) for p in pq0.values()]))
    assert out['val/VPQ.road'] == pytest.approx(100 * np.mean([p[0] for p in pq0.values()]))
    # mIoU: road 24 / 26, traffic light 10 / 12
    assert out['val/IoU.road'] == pytest.approx(100 * 24 / 26)
    assert out['val/IoU.traffic light'] == pytest.approx(100 * 10 / 12)
    assert out['val/mIoU'] == pytest.approx(100 * (24 / 26 + 10 / 12) / 2)
    assert out['val/aAcc'] == pytest.approx(100 * 34 / 36)

    # the same frames in order give the same numbers
    ordered = sorted(samples, key=lambda s: (s['clip_id'], s['frame_idx']))
    metric2 = build_metric(classes)
    metric2.process({}, ordered)
    out2 = metric2.evaluate(size=len(ordered))
    assert out2 == pytest.approx({k.split('/')[1]: v for k, v in out.items()}, nan_ok=True)


def test_clip_seg_metric_rejects_duplicate_frames():
    gt = row((0, 2))
    metric = build_metric(('a', ))
    metric.process({}, [make_sample(gt, gt, '000', 4), make_sample(gt, gt, '000', 4)])
    with pytest.raises(ValueError, match='more than once'):
        metric.evaluate(size=2)


def test_miou_matches_mmseg_iou_metric():
    from mmseg.evaluation import IoUMetric
    rng = np.random.default_rng(1)
    num_classes = 6
    classes = tuple(f'c{i}' for i in range(num_classes))
    samples = []
    for i in range(8):
        gt = rng.integers(0, num_classes - 1, (17, 23))  # class 5 never labelled ...
        gt[rng.random(gt.shape) < 0.2] = V
        pred = np.where(rng.random(gt.shape) < 0.6, gt, rng.integers(0, num_classes, gt.shape))
        pred[gt == V] = rng.integers(0, num_classes, (gt == V).sum())
        pred[(gt != V) & (pred == 5)] = 0  # ... and predicted only on void: NaN IoU
        samples.append(make_sample(pred, gt, f'{i % 2:03d}', 4 + 5 * (i // 2)))

    ours = build_metric(classes)
    ours.process({}, samples)
    out = ours.evaluate(size=len(samples))
    ref = IoUMetric(iou_metrics=['mIoU'])
    ref.dataset_meta = dict(classes=classes)
    ref.process({}, samples)
    # per-class IoU, unrounded, from mmseg's own accumulation (evaluate clears results)
    areas = [sum(r[j] for r in ref.results) for j in range(4)]
    ref_out = ref.evaluate(size=len(samples))
    assert abs(out['mIoU'] - ref_out['mIoU']) <= 0.01
    assert abs(out['aAcc'] - ref_out['aAcc']) <= 0.01

    ref_iou = IoUMetric.total_area_to_metrics(*areas, metrics=['mIoU'])['IoU']
    ours_iou = np.array([out[f'IoU.{c}'] for c in classes]) / 100
    assert math.isnan(ours_iou[5]) and math.isnan(float(ref_iou[5]))
    np.testing.assert_allclose(ours_iou, np.asarray(ref_iou, np.float64), rtol=1e-6,
                               equal_nan=True)


# --------------------------------------------------------------------------- #
# Tables
# --------------------------------------------------------------------------- #
def test_format_class_table():
    text = format_class_table({'IoU': {'a': 12.346, 'b': float('nan')}}, ['a', 'b', 'c'],
                              title='T', precision=2)
    assert text.splitlines() == ['**T**', '', '| | a | b | c |', '|:---|---:|---:|---:|',
                                 '| IoU | 12.35 | - | - |']


def test_metrics_to_tables_layout():
    metrics = {'val/mIoU': 50.0, 'val/aAcc': 90.0, 'val/IoU.a': 40.0, 'val/IoU.b': 60.0,
               'val/VPQ': 30.0, 'val/VPQ_k0': 35.0, 'val/VPQ_k10': 25.0,
               'val/VPQ.a': 20.0, 'val/VPQ.b': float('nan'),
               'val/VPQ_k0.a': 30.0, 'val/VPQ_k0.b': float('nan'),
               'val/VPQ_k10.a': 10.0, 'val/VPQ_k10.b': float('nan')}
    text = metrics_to_tables(metrics, ['a', 'b'])
    lines = text.splitlines()
    assert '| IoU | 40.0 | 60.0 | 50.0 | 90.0 |' in lines
    k0, k10, mean = (lines.index(f'| {r} |' + rest) for r, rest in
                     [('k=0', ' 30.0 | - | 35.0 |'), ('k=10', ' 10.0 | - | 25.0 |'),
                      ('mean', ' 20.0 | - | 30.0 |')])
    assert k0 < k10 < mean


def test_window_size_without_a_value_is_undefined_warned_and_named_in_tables():
    # Clip 'a': two annotated frames of 4 pixels, gt [0 0 1 1]; the second prediction [0 0 0 1].
    #   k=0: class 0 IoU 1 and 2/3 -> PQ 5/6; class 1 IoU 1, then 1/2 (not > 1/2: FN + FP)
    #        -> PQ 1 / (1 + 0.5 + 0.5) = 1/2; VPQ_0 = 2/3.
    #   k=5: one tube: class 0 I 4, P 5, G 4 -> 0.8; class 1 I 3, P 3, G 4 -> 0.75; VPQ_5 = 0.775.
    # Clip 'b': three frames whose ground truth is all void: the only clip long enough for k=10,
    # and every class has TP + FP + FN = 0 in its window, so VPQ_10 has no value.
    gt, good, bad = row((0, 2), (1, 2)), row((0, 2), (1, 2)), row((0, 3), (1, 1))
    void = frame_vpq_stats(good, row((V, 4)), 2)
    clips = {'a': [frame_vpq_stats(good, gt, 2), frame_vpq_stats(bad, gt, 2)],
             'b': [void, void, void]}
    with pytest.warns(UserWarning, match=r'VPQ_k10 .*undefined.*void'):
        res = vpq_from_frame_stats(clips, (0, 5, 10), 5)
    assert res['per_window'][10]['num_windows'] == 1 and math.isnan(res['per_window'][10]['vpq'])
    assert [res['per_window'][k]['vpq'] for k in (0, 5)] == pytest.approx([2 / 3, 0.775])
    assert res['vpq'] == pytest.approx((2 / 3 + 0.775) / 2)  # the mean over the defined k
    assert res['undefined_window_sizes'] == [10]
    # No window at all (clips shorter than k=15) warns too.
    with pytest.warns(UserWarning, match=r'VPQ_k15 .*undefined.*no clip'):
        vpq_from_frame_stats(clips, (0, 15), 5)
    # The metric's tables name the undefined k and say which k the mean covers.
    metrics = {'VPQ': 100 * res['vpq'], 'VPQ_k0': 66.7, 'VPQ_k5': 77.5, 'VPQ_k10': float('nan'),
               'VPQ.a': 1.0, 'VPQ_k0.a': 1.0, 'VPQ_k5.a': 1.0, 'VPQ_k10.a': float('nan')}
    lines = metrics_to_tables(metrics, ['a']).splitlines()
    assert '| k=10 (undefined) | - | - |' in lines
    assert '| mean over k=0, 5 | 1.0 | 72.1 |' in lines
