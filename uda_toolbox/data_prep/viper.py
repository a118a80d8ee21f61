"""VIPER preparation: read and convert the release's ``cls`` labels, verify a tree, convert it to
the 15 classes (``<split>/cls15``) and write ``<split>/index.json`` (docs/data.md, "VIPER and
Cityscapes-VPS"). The sequence conditions template is in ``viper_conditions.py``; the runtime
dataset (layout, label map, conditions file, index reading) in ``uda_toolbox.datasets.viper``.
"""
import os.path as osp
import warnings
from collections import Counter
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from uda_toolbox.data_prep.common import (
    check_frame_and_label,
    collect_checks,
    colours_to_ids,
    convert_label_file,
    convert_split,
    decode_label,
    run_tasks,
    splits_to_process,
    values_outside,
    write_indexes,
)
from uda_toolbox.data_prep.report import Report
from uda_toolbox.datasets.viper import (
    CONVERTED_LABEL_DIR,
    INDEX_NAME,
    RAW_LABEL_DIR,
    VIPER_CLASSES,
    VIPER_NUM_IDS,
    VIPER_PALETTE,
    frame_suffix,
    read_conditions,
    scan_viper_split,
    viper_label_map,
)
from uda_toolbox.utils.classes import IGNORE_INDEX, VIDEO_UDA_CLASSES
from uda_toolbox.utils.errors import DataError, DataFormatError

SPLITS = ('train', 'val', 'test')
PAPER_DAY_FRAMES = 42455  # Shin et al. (2021) Sec. 5.1: training frames of the "day" condition
CONVERSION_FORMAT = 'uda_toolbox.viper_cls15'
CONVERSION_VERSION = 1
VIPER_CAR_ID = VIPER_CLASSES.index('car')


# ----------------------------------------------------------------------------- labels


def viper_lookup_table(pole_from_infrastructure: bool = True) -> np.ndarray:
    """(256,) uint8 table: raw id -> train id, 255 for every id the mapping ignores."""
    lut = np.full(256, IGNORE_INDEX, np.uint8)
    for viper_id, train_id in viper_label_map(pole_from_infrastructure).items():
        lut[viper_id] = train_id
    return lut


def _colours_to_ids(rgb: np.ndarray, path: str) -> np.ndarray:
    """Map an (H, W, 3) RGB colour label to VIPER ids through classes.csv's colours.

    van (25) and train (29) share one colour; it becomes van, and both are ignored by the
    15-class mapping, so the ambiguity never changes a train id.
    """
    ids, known = colours_to_ids(rgb, VIPER_PALETTE)
    if not known.all():
        bad = np.unique(rgb[~known].reshape(-1, 3), axis=0)[:5].tolist()
        raise DataFormatError(
            f'VIPER label {path!r} is a colour image with colours {bad} that are not in '
            "VIPER's classes.csv; it is not a VIPER cls label. Re-extract it from the cls archive.")
    return ids


def check_viper_ids(ids: np.ndarray, path: str) -> None:
    """Raise :class:`DataFormatError` naming ``path`` if a value is not a VIPER id 0..31."""
    bad = values_outside(ids, VIPER_NUM_IDS)
    if bad:
        raise DataFormatError(
            f'VIPER label {path!r} has values {bad} outside the class ids 0..{VIPER_NUM_IDS - 1} '
            "of VIPER's classes.csv: it is not a VIPER cls label (wrong folder, or already "
            'converted?) or it is corrupt. Re-extract it from the cls archive.')


def read_viper_label(path: str) -> np.ndarray:
    """Read a VIPER ``cls`` PNG as (H, W) uint8 class ids 0..31.

    The official files are indexed (palette) PNGs whose indices are the ids; colour PNGs (a
    palette expanded by another tool) are mapped back through classes.csv.
    """
    ids = decode_label(path, 'VIPER label', 'Re-extract it from the VIPER cls archive.')
    if ids.ndim == 3:
        ids = _colours_to_ids(ids, path)
    check_viper_ids(ids, path)
    return np.ascontiguousarray(ids, dtype=np.uint8)


def remove_ego_vehicle(ids: np.ndarray) -> np.ndarray:
    """Set the ego vehicle (the car region touching the bottom-centre pixel) to 0 "unlabeled".

    Some VIPER sequences show the player's own car; as DA-VSN does, its pixels are not
    taught as "car". Returns a new array; ``ids`` is not modified.
    """
    h, w = ids.shape
    if ids[h - 1, w // 2] != VIPER_CAR_ID:
        return ids.copy()
    mask = (ids == VIPER_CAR_ID).astype(np.uint8)
    _, components = cv2.connectedComponents(mask, connectivity=8)
    out = ids.copy()
    out[components == components[h - 1, w // 2]] = 0
    return out


def convert_viper_ids(ids: np.ndarray, pole_from_infrastructure: bool = True,
                      ignore_ego_vehicle: bool = True) -> np.ndarray:
    """VIPER ids (H, W) -> the 15 train ids (H, W) uint8, 255 = ignore."""
    if ignore_ego_vehicle:
        ids = remove_ego_vehicle(ids)
    return viper_lookup_table(pole_from_infrastructure)[ids]


def check_viper_frame(task: Tuple[str, Optional[str]]) -> dict:
    """Verify worker: ``(frame path, raw cls label path or None)`` ->
    :func:`~uda_toolbox.data_prep.common.check_frame_and_label`'s result."""
    img_path, label_path = task
    return check_frame_and_label(img_path, label_path, read_viper_label, 'VIPER',
                                 'Re-extract it from the VIPER img archive.')


def convert_viper_file(task: Tuple[str, str, bool, bool]) -> Tuple[str, Optional[str]]:
    """Convert worker: ``(src, dst, pole_from_infrastructure, ignore_ego_vehicle)`` -> the
    15-class label written atomically; returns ``(dst, None)`` or ``(dst, error message)``."""
    src, dst, pole, ego = task
    return convert_label_file(src, dst, lambda path: convert_viper_ids(read_viper_label(path),
                                                                         pole, ego))


# ----------------------------------------------------------------------------- the tool


def _scan(root: str, split: str, report: Report) -> Optional[dict]:
    """scan_viper_split with its warnings (odd file names) turned into report lines."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            listing = scan_viper_split(root, split)
        except DataError as exc:
            report.error(str(exc))
            return None
    for warning in caught:
        report.warn(str(warning.message))
    return listing


def verify(root: str, splits: Optional[Sequence[str]] = None, workers: int = 1,
           every: int = 1) -> Report:
    """Check a VIPER tree and return the report (it is not printed).

    Counts per split; sequences with frames but no labels; frames that are missing, unreadable
    or truncated; labels with ids outside 0..31; a label whose size differs from its frame's;
    frame sizes that differ within a sequence; the conditions file and the day-frame count.

    Args:
        root: VIPER root.
        splits: Splits to check (default: those with an ``img/`` directory).
        workers: Processes for the per-file checks.
        every: Check every n-th frame of a sequence (1 = all).
    """
    report = Report()
    splits = splits_to_process(
        report, root, splits, SPLITS, 'img',
        missing_root=f'VIPER root {root!r} does not exist. Download VIPER (playing-for-benchmarks'
                     '.org) and extract the train and val img and cls archives into it '
                     '(docs/data.md).',
        no_split=f'{root!r} holds no split: expected {root}/train/img/SSS/SSS_FFFFF.jpg. '
                 'Extract the VIPER img and cls archives there (docs/data.md).')
    if not splits:
        return report
    conditions = None
    conditions_path = osp.join(root, 'conditions.csv')
    if osp.isfile(conditions_path):
        try:
            conditions = read_conditions(conditions_path)
        except DataError as exc:
            report.error(str(exc))
    else:
        report.warn(f'{conditions_path!r} does not exist: day-only training (condition="day") '
                    'needs it. Write a template with: python tools/data/viper.py conditions '
                    f'{root}, confirm its marked guesses and save it under that name (docs/data.md).')
    for split in splits:
        listing = _scan(root, split, report)
        if listing is None:
            continue
        seqs = listing['sequences']
        raw = listing['labels'].get(RAW_LABEL_DIR, {})
        converted = listing['labels'].get(CONVERTED_LABEL_DIR, {})
        n_frames = sum(len(e['frames']) for e in seqs.values())
        if n_frames == 0:
            report.error(f'split {split!r} is empty: no frame {root}/{split}/img/SSS/SSS_FFFFF.jpg. '
                         f'Extract the VIPER {split} img archive there.')
            continue
        tasks = []
        for seq, entry in seqs.items():
            frames = entry['frames']
            seq_dir = osp.join(root, split, 'img', seq)
            if not frames:
                report.error(f'{seq_dir!r} holds no frame {seq}_FFFFF.jpg/.png; re-extract it or '
                             'remove the empty directory.')
                continue
            labelled = set(raw.get(seq, ()))
            if split != 'test' and not labelled:
                report.error(f'sequence {seq} of {split!r} has {len(frames)} frames in {seq_dir!r} but '
                             f'no label in {osp.join(root, split, RAW_LABEL_DIR, seq)!r}. Extract the '
                             f'{split} cls archive, or leave {seq} out (conditions.csv / sequences).')
            unlabelled = len(set(frames) - labelled)
            if labelled and unlabelled:
                report.info(f'sequence {seq} of {split!r}: {len(frames) - unlabelled} of '
                            f'{len(frames)} frames have a label.')
            orphans = sorted(labelled - set(frames))
            if orphans:
                report.warn(f'{len(orphans)} label(s) of sequence {seq} have no frame, e.g. '
                            f'{osp.join(root, split, RAW_LABEL_DIR, seq, f"{seq}_{orphans[0]:05d}.png")!r}.')
            if converted and labelled - set(converted.get(seq, ())):
                report.info(f'sequence {seq} of {split!r}: '
                            f'{len(labelled - set(converted.get(seq, ())))} label(s) not converted '
                            f'yet; run: python tools/data/viper.py convert {root}')
            for idx in frames[::max(1, every)]:
                stem = f'{seq}_{idx:05d}'
                tasks.append((osp.join(seq_dir, stem + frame_suffix(entry, idx)),
                              osp.join(root, split, RAW_LABEL_DIR, seq, stem + '.png')
                              if idx in labelled else None))
        results = run_tasks(check_viper_frame, tasks, workers, desc=f'verify VIPER {split}')
        sizes, ids_present = collect_checks(report, results, split,
                                            lambda img: osp.basename(osp.dirname(img)), 'sequence')
        n_raw = sum(len(v) for v in raw.values())
        n_conv = sum(len(v) for v in converted.values())
        report.info(f'{split}: {len(seqs)} sequences, {n_frames} frames, {n_raw} cls labels, '
                    f'{n_conv} converted labels; frame sizes (H, W): {dict(sizes)}; '
                    f'{len(tasks)} frames checked.')
        if ids_present:
            names = [f'{i} {VIPER_CLASSES[i]}' for i in sorted(ids_present) if i < len(VIPER_CLASSES)]
            report.info(f'{split}: VIPER class ids present: {", ".join(names)}.')
        if conditions is not None:
            missing = [s for s in seqs if (split, s) not in conditions]
            if missing:
                report.error(f'{conditions_path!r} has no row for sequence(s) {missing[:20]} of '
                             f'{split!r}; add "{split},SSS,<condition>" for each.')
            per_condition: Counter = Counter()
            for seq, entry in seqs.items():
                per_condition[conditions.get((split, seq), 'unknown')] += len(entry['frames'])
            report.info(f'{split}: frames per condition: {dict(per_condition)}.')
            if split == 'train' and per_condition.get('day', 0) != PAPER_DAY_FRAMES:
                report.warn(f'train has {per_condition.get("day", 0)} "day" frames; Shin et al. (2021) '
                            f'trains on {PAPER_DAY_FRAMES}. Check conditions.csv.')
    return report


def conversion_settings(pole_from_infrastructure: bool, ignore_ego_vehicle: bool) -> dict:
    """What ``<split>/cls15/conversion.json`` records (a rerun must match it to resume)."""
    return dict(format=CONVERSION_FORMAT, version=CONVERSION_VERSION,
                pole_from_infrastructure=pole_from_infrastructure,
                ignore_ego_vehicle=ignore_ego_vehicle, classes=list(VIDEO_UDA_CLASSES),
                label_map={str(k): v for k, v in
                           viper_label_map(pole_from_infrastructure).items()})


def convert(root: str, splits: Optional[Sequence[str]] = None, workers: int = 1,
            pole_from_infrastructure: bool = True, ignore_ego_vehicle: bool = True,
            overwrite: bool = False) -> Report:
    """Convert every ``<split>/cls`` label to ``<split>/cls15`` and write ``<split>/index.json``.

    Labels already converted (complete PNG present) are skipped unless ``overwrite``; the
    settings are written first to ``cls15/conversion.json``, and a rerun with other settings is
    refused (``overwrite`` converts everything again). Files are written atomically, so an
    interrupted run leaves no partial label and a rerun gives the same result.
    """
    report = Report()
    splits = splits_to_process(
        report, root, splits, SPLITS, RAW_LABEL_DIR,
        missing_root=f'VIPER root {root!r} does not exist (docs/data.md).',
        no_split=f'{root!r} has no {RAW_LABEL_DIR}/ directory in any split: expected '
                 f'{root}/train/{RAW_LABEL_DIR}/SSS/SSS_FFFFF.png. Extract the cls archives.')
    settings = conversion_settings(pole_from_infrastructure, ignore_ego_vehicle)
    for split in splits:
        src_root = osp.join(root, split, RAW_LABEL_DIR)
        out_root = osp.join(root, split, CONVERTED_LABEL_DIR)
        if not osp.isdir(src_root):
            report.error(f'{src_root!r} does not exist; extract the VIPER {split} cls archive.')
            continue
        listing = _scan(root, split, report)
        if listing is None:
            continue
        pairs = [(osp.join(src_root, seq, f'{seq}_{idx:05d}.png'),
                  osp.join(out_root, seq, f'{seq}_{idx:05d}.png'))
                 for seq, frames in listing['labels'].get(RAW_LABEL_DIR, {}).items() for idx in frames]
        if convert_split(report, split, pairs, out_root, settings, convert_viper_file,
                         (pole_from_infrastructure, ignore_ego_vehicle), workers, overwrite,
                         desc=f'convert VIPER {split}'):
            write_indexes(root, [split], SPLITS, scan_viper_split, INDEX_NAME, 'VIPER', report)
    return report


def write_index(root: str, splits: Optional[Sequence[str]] = None) -> List[str]:
    """Write ``<split>/index.json`` (frames, cls and cls15 labels per sequence) for each split."""
    return write_indexes(root, splits, SPLITS, scan_viper_split, INDEX_NAME, 'VIPER')

