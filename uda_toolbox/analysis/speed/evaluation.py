"""Seconds of the evaluation (mIoU + VPQ^s over label PNGs) against decoding those PNGs."""
import copy
import os
import os.path as osp
from typing import Any, Dict

import cv2
import numpy as np
from mmengine.config import Config

from uda_toolbox.analysis.speed.entries import TARGETS
from uda_toolbox.analysis.speed.measure import Stopwatch, ratio_to, summary
from uda_toolbox.registry import DATASETS, METRICS
from uda_toolbox.utils.classes import IGNORE_INDEX, apply_label_map
from uda_toolbox.utils.io import load_label


def write_prediction_pairs(cfg: Config, seed: int, scratch: str) -> tuple:
    """``(dataset, [(clip, frame, prediction PNG, ground-truth PNG)])`` for every annotated
    frame of the config's test set; a prediction is its ground truth with void filled and 20%
    of the pixels changed (seeded), so the metric sees plausible, imperfect maps."""
    dataset = DATASETS.build(copy.deepcopy(cfg.test_dataloader.dataset))
    rng = np.random.default_rng(seed)
    label_map = getattr(dataset, 'label_map', None)
    num_classes = len(dataset.metainfo['classes'])
    frames = []
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        gt = load_label(info['seg_map_paths'][0])
        if label_map:
            gt = apply_label_map(gt, label_map, info['seg_map_paths'][0])
        pred = np.where(gt == IGNORE_INDEX, rng.integers(0, num_classes, gt.shape), gt)
        noise = rng.random(gt.shape) < 0.2
        pred[noise] = rng.integers(0, num_classes, int(noise.sum()))
        stem = f'{info["clip_id"]}_{info["frame_ids"][0]:05d}'
        paths = []
        for kind, array in (('pred', pred), ('gt', gt)):
            path = osp.join(scratch, 'evaluation', kind, stem + '.png')
            os.makedirs(osp.dirname(path), exist_ok=True)
            if not cv2.imwrite(path, array.astype(np.uint8)):
                raise OSError(f'cannot write {path!r}')
            paths.append(path)
        frames.append((info['clip_id'], info['frame_ids'][0], *paths))
    return dataset, frames


def time_evaluation(cfg: Config, seed: int, repeats: int, scratch: str) -> Dict[str, Any]:
    """ClipSegMetric over label PNGs vs. decoding them (the config's test set)."""
    dataset, frames = write_prediction_pairs(cfg, seed, scratch)
    batch_size = cfg.test_dataloader.get('batch_size', 1)

    def decode() -> None:
        for _, _, pred_path, gt_path in frames:
            load_label(pred_path)
            load_label(gt_path)

    def evaluate() -> dict:
        metric = METRICS.build(copy.deepcopy(cfg.test_evaluator))
        metric.dataset_meta = dataset.metainfo
        for start in range(0, len(frames), batch_size):
            samples = [dict(pred_sem_seg=dict(data=load_label(pred_path)),
                            gt_sem_seg=dict(data=load_label(gt_path)),
                            clip_id=clip_id, frame_idx=frame_idx)
                       for clip_id, frame_idx, pred_path, gt_path in frames[start:start + batch_size]]
            metric.process(None, samples)
        return metric.evaluate(len(frames))

    decode_watches, eval_watches = [], []
    for _ in range(repeats):  # the caller keeps the metric's INFO tables quiet
        with Stopwatch() as watch:
            decode()
        decode_watches.append(watch)
        with Stopwatch() as watch:
            metrics = evaluate()
        eval_watches.append(watch)
    decode_t, eval_t = summary(decode_watches), summary(eval_watches)
    ratios = ratio_to(eval_t, decode_t)
    return dict(frames=len(frames), decode_seconds=decode_t['seconds'],
                eval_seconds=eval_t['seconds'], **ratios,
                target=TARGETS['evaluation'], met=ratios['ratio'] <= TARGETS['evaluation'],
                decode=decode_t, eval=eval_t, mIoU=metrics.get('mIoU'), VPQ=metrics.get('VPQ'),
                includes='eval: decode prediction + label PNGs (load_label) and '
                         'ClipSegMetric.process per test batch, then evaluate (mIoU, VPQ^s for '
                         'every window, tables); decode: the same load_label calls only')
