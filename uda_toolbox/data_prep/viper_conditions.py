"""The VIPER conditions template: a first guess of each sequence's condition (day, sunset, rain,
night, snow) from image statistics, for a person to confirm.

No file of the VIPER release records a sequence's condition, and Shin et al. (2021) trains on the
"day" sequences only (Sec. 5.1). The guess is rough (thresholds are ours, untested on the real
data; noisy dark frames can look like day), so it must never feed training unseen: every guessed
condition is written with the mark ``?`` (``day?``), which ``uda_toolbox.datasets.viper``'s
``read_conditions`` refuses until a person has looked at the sequence and written the condition
without the mark (docs/data.md, "VIPER conditions").
"""
import csv
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np

from uda_toolbox.data_prep.common import existing_splits
from uda_toolbox.data_prep.viper import SPLITS
from uda_toolbox.datasets.viper import GUESS_MARK, frame_suffix, scan_viper_split


def sequence_statistics(paths: Sequence[str]) -> dict:
    """Mean brightness, saturation, warmth (R - B) and lower-half white fraction of some frames."""
    stats = []
    for path in paths:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            continue
        img = cv2.resize(img, (64, 36), interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(np.float32) / 255.0
        value, sat = hsv[..., 2], hsv[..., 1]
        warmth = (img[..., 2].astype(np.float32) - img[..., 0]).mean() / 255.0
        lower = slice(img.shape[0] // 2, None)
        white = ((value[lower] > 0.8) & (sat[lower] < 0.15)).mean()
        stats.append((value.mean(), sat.mean(), warmth, white))
    if not stats:
        return dict(brightness=float('nan'), saturation=float('nan'), warmth=float('nan'),
                    white_fraction=float('nan'))
    mean = np.mean(stats, axis=0)
    return dict(brightness=float(mean[0]), saturation=float(mean[1]), warmth=float(mean[2]),
                white_fraction=float(mean[3]))


def guess_condition(stats: dict) -> Optional[str]:
    """A rough first guess of a sequence's condition from :func:`sequence_statistics`, or None
    when no frame could be read.

    Only a starting point for the person filling in conditions.csv (thresholds are ours and
    untested on the real data): dark -> night, white ground -> snow, warm -> sunset, grey and
    dim -> rain, else day.
    """
    if not np.isfinite(stats['brightness']):
        return None
    if stats['brightness'] < 0.25:
        return 'night'
    if stats['white_fraction'] > 0.25:
        return 'snow'
    if stats['warmth'] > 0.12:
        return 'sunset'
    if stats['saturation'] < 0.18 and stats['brightness'] < 0.5:
        return 'rain'
    return 'day'


def write_conditions_template(root: str, out: Optional[str] = None,
                              splits: Optional[Sequence[str]] = None,
                              frames_per_sequence: int = 3) -> str:
    """Write a conditions CSV with one guessed, marked condition per sequence (``day?``; only
    ``?`` when no frame could be read) and the statistics the guess came from."""
    splits = list(splits or existing_splits(root, SPLITS, 'img'))
    if not splits:
        raise SystemExit(f'error: {root!r} holds no VIPER split (expected {root}/train/img/).')
    out = out or osp.join(root, 'conditions_template.csv')
    rows = []
    for split in splits:
        listing = scan_viper_split(root, split, label_dirs=())
        for seq, entry in listing['sequences'].items():
            frames = entry['frames']
            if not frames:
                continue
            picks = [frames[i] for i in np.linspace(0, len(frames) - 1,
                                                    min(frames_per_sequence, len(frames))).astype(int)]
            paths = [osp.join(root, split, 'img', seq, f'{seq}_{i:05d}{frame_suffix(entry, i)}')
                     for i in picks]
            stats = sequence_statistics(paths)
            rows.append(dict(split=split, sequence=seq,
                             condition=(guess_condition(stats) or '') + GUESS_MARK,
                             frames=len(frames), **{k: f'{v:.3f}' for k, v in stats.items()}))
    fields = ['split', 'sequence', 'condition', 'frames', 'brightness', 'saturation', 'warmth',
              'white_fraction']
    with open(out, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return out
