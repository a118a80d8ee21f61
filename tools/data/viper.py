"""Check, convert and index a VIPER tree (docs/data.md, "VIPER and Cityscapes-VPS").

From the repository root, in this order::

    python tools/data/viper.py verify data/viper [--workers 8]       # counts, missing/bad files
    python tools/data/viper.py conditions data/viper                 # template of sequence conditions
    #   check it, save it as data/viper/conditions.csv (every row checked=yes)
    python tools/data/viper.py convert data/viper [--workers 8]      # cls -> cls15 (15 classes) + index
    python tools/data/viper.py index data/viper                      # after adding/removing files

``convert`` skips labels already converted with the same settings, writes every file through a
temporary file (an interrupted run is resumed by running it again) and ends by writing
``<split>/index.json``; ``index`` rewrites only the index. Exit status 1 when a problem is found.
"""
import csv
import os.path as osp
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import List, Optional, Sequence

try:
    import uda_toolbox  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from uda_toolbox.utils.classes import VIDEO_UDA_CLASSES  # noqa: E402
from uda_toolbox.utils.errors import DataError  # noqa: E402
from uda_toolbox.datasets.preparation import (  # noqa: E402
    Report,
    collect_checks,
    convert_split,
    existing_splits,
    print_report,
    run_tasks,
    splits_to_process,
    tool_parser,
    write_indexes,
)
from uda_toolbox.datasets.viper import (  # noqa: E402
    CONVERTED_LABEL_DIR,
    INDEX_NAME,
    RAW_LABEL_DIR,
    VIPER_CLASSES,
    VIPER_CONDITIONS,
    check_viper_frame,
    convert_viper_file,
    frame_suffix,
    read_conditions,
    scan_viper_split,
    viper_label_map,
)

SPLITS = ('train', 'val', 'test')
SEED_PAPER_DAY_FRAMES = 42455  # Shin et al. (2021) Sec. 5.1: training frames of the "day" condition
CONVERSION_FORMAT = 'uda_toolbox.viper_cls15'
CONVERSION_VERSION = 1


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
                    f'{root}, check it and save it under that name (docs/data.md).')
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
            if split == 'train' and per_condition.get('day', 0) != SEED_PAPER_DAY_FRAMES:
                report.warn(f'train has {per_condition.get("day", 0)} "day" frames; Shin et al. (2021) '
                            f'trains on {SEED_PAPER_DAY_FRAMES}. Check conditions.csv.')
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


def guess_condition(stats: dict) -> str:
    """A rough first guess of a sequence's condition from :func:`sequence_statistics`.

    Only a starting point for the person filling in conditions.csv (thresholds are ours and
    untested on the real data): dark -> night, white ground -> snow, warm -> sunset, grey and
    dim -> rain, else day.
    """
    if not np.isfinite(stats['brightness']):
        return 'day'
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
    """Write a conditions CSV with a guessed condition and ``checked=no`` per sequence."""
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
            rows.append(dict(split=split, sequence=seq, condition=guess_condition(stats),
                             checked='no', frames=len(frames),
                             **{k: f'{v:.3f}' for k, v in stats.items()}))
    fields = ['split', 'sequence', 'condition', 'checked', 'frames', 'brightness', 'saturation',
              'warmth', 'white_fraction']
    with open(out, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return out


def parse_args(argv=None):
    parser, subs = tool_parser(
        __doc__.split('\n')[0],
        dict(verify='check the tree and print a report',
             convert='convert cls labels to 15-class cls15 labels, then index',
             index='write <split>/index.json',
             conditions='write a conditions template (guesses, to be checked)'),
        root_help='VIPER root (holding train/, val/)')
    subs['verify'].add_argument('--every', type=int, default=1,
                                help='check every n-th frame of a sequence (default: 1, all)')
    subs['convert'].add_argument('--no-pole', action='store_true',
                                 help='map id 10 "infrastructure" to 255 instead of pole')
    subs['convert'].add_argument('--keep-ego-vehicle', action='store_true',
                                 help='keep the ego vehicle labelled as car (default: ignored)')
    subs['conditions'].add_argument('--out', help='default: ROOT/conditions_template.csv')
    subs['conditions'].add_argument('--frames-per-sequence', type=int, default=3)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == 'verify':
        return print_report(verify(args.root, args.splits, args.workers, args.every))
    if args.command == 'convert':
        return print_report(convert(args.root, args.splits, args.workers,
                                    pole_from_infrastructure=not args.no_pole,
                                    ignore_ego_vehicle=not args.keep_ego_vehicle,
                                    overwrite=args.overwrite))
    if args.command == 'index':
        for path in write_index(args.root, args.splits):
            print(f'wrote {path}')
        return 0
    out = write_conditions_template(args.root, args.out, args.splits, args.frames_per_sequence)
    print(f'wrote {out}: one guessed condition ({"/".join(VIPER_CONDITIONS)}) per sequence, all '
          'checked=no. Look at each sequence, fix its condition, set checked=yes, and save the '
          f'file as {osp.join(args.root, "conditions.csv")}.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
