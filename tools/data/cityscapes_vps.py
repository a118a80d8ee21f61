"""Check, convert and index a Cityscapes-VPS tree (docs/data.md, "VIPER and Cityscapes-VPS").

From the repository root, in this order (after the release's own preparation steps)::

    python tools/data/cityscapes_vps.py verify data/cityscapes_vps \\
        --sequence-root data/cityscapes/leftImg8bit_sequence/val [--workers 8]
    python tools/data/cityscapes_vps.py convert data/cityscapes_vps [--workers 8]

``convert`` maps ``<split>/labelmap`` (Cityscapes trainIds; ``--from cls`` reads the colour
``<split>/cls`` PNGs instead) to ``<split>/cls15`` (the 15 classes, same file names), skips files
already converted, writes atomically (rerun to resume) and ends by writing ``<split>/index.json``.
Exit status 1 when a problem is found.
"""
import argparse
import json
import os
import os.path as osp
import sys
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import List, Optional, Sequence

try:
    import uda_toolbox  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from uda_toolbox.datasets.cityscapes_vps import (  # noqa: E402
    ANNOTATION_INTERVAL,
    CITYSCAPES_TRAIN_ID_CLASSES,
    CLIP_LENGTH,
    CONVERTED_LABEL_DIR,
    INDEX_NAME,
    RAW_LABEL_DIR,
    check_vps_frame,
    cityscapes_label_map,
    convert_vps_file,
    group_clips,
    label_name,
    parse_image_name,
    scan_vps_split,
    sequence_frame_name,
)
from uda_toolbox.datasets.classes import VIDEO_UDA_CLASSES  # noqa: E402
from uda_toolbox.datasets.errors import DataError  # noqa: E402
from uda_toolbox.datasets.preparation import (  # noqa: E402
    Report,
    existing_splits,
    file_complete,
    remove_stale_temporaries,
    run_tasks,
    write_json_atomic,
)

SPLITS = ('train', 'val', 'test')
# Clips per split of the release (Kim et al. CVPR 2020; seed paper Sec. 5.1: 400 train, 50 val).
EXPECTED_CLIPS = dict(train=400, val=50, test=50)
CONVERSION_FORMAT = 'uda_toolbox.cityscapes_vps_cls15'
CONVERSION_VERSION = 1


def verify(root: str, sequence_root: Optional[str] = None, splits: Optional[Sequence[str]] = None,
           workers: int = 1, every: int = 1) -> Report:
    """Check a Cityscapes-VPS tree and return the report (it is not printed).

    Counts per split (clips, annotated frames, labels); clips whose annotated frames are not 6
    at positions 4, 9, ..., 29; clips with frames but no labels; missing unannotated frames
    (``val/img_all`` or ``sequence_root`` for train); unreadable or truncated files; label values
    outside the trainIds; label/frame and within-clip size mismatches.

    Args:
        root: Cityscapes-VPS root.
        sequence_root: Cityscapes ``leftImg8bit_sequence/val`` (for the train clips' frames).
        splits: Splits to check (default: those with an ``img/`` directory).
        workers: Processes for the per-file checks.
        every: Check every n-th unannotated frame (annotated frames are always checked).
    """
    report = Report()
    if not osp.isdir(root):
        report.error(f'Cityscapes-VPS root {root!r} does not exist. Download the release '
                     '(cityscapes-vps-dataset-1.0.zip) and run its prepare_data steps (docs/data.md).')
        return report
    splits = list(splits or existing_splits(root, SPLITS, 'img'))
    if not splits:
        report.error(f'{root!r} holds no split: expected {root}/train/img/'
                     'VVVV_FFFF_<city>_<seq>_<frame>_newImg8bit.png (docs/data.md).')
        return report
    if sequence_root is not None and not osp.isdir(sequence_root):
        report.error(f'sequence root {sequence_root!r} does not exist; it must be Cityscapes '
                     'leftImg8bit_sequence/val (leftImg8bit_sequence_trainvaltest.zip).')
        sequence_root = None
    for split in splits:
        img_root = osp.join(root, split, 'img')
        problems: List[str] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            clips = group_clips(os.listdir(img_root), img_root, errors=problems)
        for warning in caught:
            report.warn(str(warning.message))
        for problem in problems:
            report.error(problem)
        if not clips:
            report.error(f'split {split!r} is empty: no VVVV_FFFF_<city>_<seq>_<frame>_newImg8bit.png '
                         f'in {img_root!r}. Run the release\'s prepare_data/fetch_city_images.py.')
            continue
        expected = EXPECTED_CLIPS.get(split)
        if expected is not None and len(clips) != expected:
            report.warn(f'{split}: {len(clips)} clips; the Cityscapes-VPS {split} split has {expected}.')
        label_root = osp.join(root, split, RAW_LABEL_DIR)
        label_names = set(os.listdir(label_root)) if osp.isdir(label_root) else None
        if label_names is None and split != 'test':
            report.error(f'{label_root!r} does not exist: create it with the release\'s '
                         'prepare_data/create_panoptic_labels.py (docs/data.md).')
        img_all = osp.join(root, split, 'img_all')
        if osp.isdir(img_all):
            unannotated_dir, per_city = img_all, False
        elif sequence_root is not None:
            unannotated_dir, per_city = sequence_root, True
        else:
            unannotated_dir, per_city = None, False
            report.warn(f'{split}: unannotated frames not checked: {img_all!r} does not exist and '
                        'no --sequence-root was given (Cityscapes leftImg8bit_sequence/val).')
        listed = {}
        tasks, n_labels, missing_frames = [], 0, 0
        for video, clip in clips.items():
            annotated = {pos: name for pos, name in clip['annotated']}
            for k, (_, name) in enumerate(sorted(annotated.items()), start=1):
                index = parse_image_name(name)['index']
                if index != (int(video) - 1) * (CLIP_LENGTH // ANNOTATION_INTERVAL) + k:
                    report.warn(f'{osp.join(img_root, name)!r}: running index {index:04d} is not '
                                f'(VVVV - 1) * 6 + k = {(int(video) - 1) * 6 + k:04d} (name order '
                                'still gives time order).')
            labels = {pos: label_name(n) for pos, n in annotated.items()}
            present = {pos for pos, n in labels.items() if label_names and n in label_names}
            n_labels += len(present)
            if label_names is not None and not present:
                report.error(f'clip {video} of {split!r} has {len(annotated)} annotated frames in '
                             f'{img_root!r} but no label in {label_root!r} (e.g. '
                             f'{labels[min(labels)]!r}). Re-run the release\'s prepare_data steps.')
            elif label_names is not None and len(present) < len(labels):
                for pos in sorted(set(labels) - present):
                    report.error(f'label {osp.join(label_root, labels[pos])!r} of clip {video} is '
                                 'missing. Re-run the release\'s prepare_data steps.')
            for pos, name in sorted(annotated.items()):
                tasks.append((osp.join(img_root, name),
                              osp.join(label_root, labels[pos]) if pos in present else None,
                              RAW_LABEL_DIR))
            if unannotated_dir is None:
                continue
            directory = osp.join(unannotated_dir, clip['city']) if per_city else unannotated_dir
            if directory not in listed:
                listed[directory] = set(os.listdir(directory)) if osp.isdir(directory) else set()
            for pos in range(CLIP_LENGTH):
                if pos in annotated:
                    continue
                name = sequence_frame_name(clip['city'], clip['seq'], clip['first_frame'] + pos)
                if name not in listed[directory]:
                    missing_frames += 1
                    report.error(f'frame {pos} of clip {video} ({osp.join(directory, name)!r}) does '
                                 'not exist; copy it from Cityscapes leftImg8bit_sequence/val.')
                elif pos % max(1, every) == 0:
                    tasks.append((osp.join(directory, name), None, ''))
        results = run_tasks(check_vps_frame, tasks, workers, desc=f'verify Cityscapes-VPS {split}')
        sizes: Counter = Counter()
        clip_sizes = defaultdict(set)
        ids_present = set()
        video_of = {}
        for video, clip in clips.items():
            for _, name in clip['annotated']:
                video_of[name] = video
            for pos in range(CLIP_LENGTH):
                video_of[sequence_frame_name(clip['city'], clip['seq'],
                                             clip['first_frame'] + pos)] = video
        for result in results:
            for problem in result['problems']:
                report.error(problem)
            if result['size'] is not None:
                sizes[tuple(result['size'])] += 1
                clip_sizes[video_of.get(osp.basename(result['img']))].add(tuple(result['size']))
            ids_present.update(result['ids'] or ())
        for video, found in sorted(clip_sizes.items(), key=lambda kv: str(kv[0])):
            if len(found) > 1:
                report.error(f'frames of clip {video} of {split!r} differ in size {sorted(found)}; '
                             're-copy them from Cityscapes.')
        report.info(f'{split}: {len(clips)} clips, {sum(len(c["annotated"]) for c in clips.values())} '
                    f'annotated frames, {n_labels} labels, {missing_frames} missing unannotated '
                    f'frames; frame sizes (H, W): {dict(sizes)}; {len(tasks)} files checked.')
        if ids_present:
            names = [f'{i} {CITYSCAPES_TRAIN_ID_CLASSES[i]}' if i < len(CITYSCAPES_TRAIN_ID_CLASSES)
                     else f'{i} void' for i in sorted(ids_present)]
            report.info(f'{split}: trainIds present: {", ".join(names)}.')
    return report


def conversion_settings(source: str) -> dict:
    """What ``<split>/cls15/conversion.json`` records."""
    return dict(format=CONVERSION_FORMAT, version=CONVERSION_VERSION, source=source,
                classes=list(VIDEO_UDA_CLASSES),
                label_map={str(k): v for k, v in cityscapes_label_map().items()})


def convert(root: str, splits: Optional[Sequence[str]] = None, workers: int = 1,
            source: str = 'auto', overwrite: bool = False) -> Report:
    """Convert ``<split>/labelmap`` (or colour ``cls``) labels to ``<split>/cls15``, then index.

    Args:
        root: Cityscapes-VPS root.
        splits: Default: every split with ``labelmap/`` (or ``cls/``).
        workers: Processes.
        source: ``'labelmap'``, ``'cls'`` or ``'auto'`` (labelmap when it exists).
        overwrite: Convert every file again (also when the settings changed).
    """
    report = Report()
    if not osp.isdir(root):
        report.error(f'Cityscapes-VPS root {root!r} does not exist (docs/data.md).')
        return report
    splits = list(splits or [s for s in SPLITS if osp.isdir(osp.join(root, s, RAW_LABEL_DIR))
                             or osp.isdir(osp.join(root, s, 'cls'))])
    if not splits:
        report.error(f'{root!r} has no {RAW_LABEL_DIR}/ (or cls/) directory in any split. Create it '
                     'with the release\'s prepare_data/create_panoptic_labels.py (docs/data.md).')
        return report
    for split in splits:
        src_kind = source
        if source == 'auto':
            src_kind = RAW_LABEL_DIR if osp.isdir(osp.join(root, split, RAW_LABEL_DIR)) else 'cls'
        src_root = osp.join(root, split, src_kind)
        out_root = osp.join(root, split, CONVERTED_LABEL_DIR)
        if not osp.isdir(src_root):
            report.error(f'{src_root!r} does not exist; run the release\'s prepare_data steps.')
            continue
        settings = conversion_settings(src_kind)
        settings_path = osp.join(out_root, 'conversion.json')
        if osp.isfile(settings_path) and not overwrite:
            with open(settings_path) as f:
                old = json.load(f)
            if old != settings:
                changed = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
                report.error(f'{out_root!r} was converted with other settings (differing: {changed}); '
                             'rerun with the same options, or pass --overwrite to convert again.')
                continue
        os.makedirs(out_root, exist_ok=True)
        remove_stale_temporaries(out_root)
        write_json_atomic(settings_path, settings)  # first, so a resumed run knows the settings
        names = sorted(n for n in os.listdir(src_root)
                       if not n.startswith('.') and n.endswith('.png'))
        if not names:
            report.error(f'{src_root!r} holds no label PNG; run the release\'s prepare_data steps.')
            continue
        tasks, skipped = [], 0
        for name in names:
            dst = osp.join(out_root, name)
            if not overwrite and file_complete(dst):
                skipped += 1
                continue
            tasks.append((osp.join(src_root, name), dst, src_kind))
        results = run_tasks(convert_vps_file, tasks, workers, desc=f'convert Cityscapes-VPS {split}')
        failed = [(dst, err) for dst, err in results if err is not None]
        for _, err in failed:
            report.error(f'{err} The other labels were converted; fix this file and run convert '
                         'again (converted labels are skipped).')
        report.info(f'{split}: converted {len(tasks) - len(failed)} label(s) from {src_kind}/, '
                    f'skipped {skipped} already converted, {len(failed)} failed; output {out_root!r}.')
        try:
            write_json_atomic(osp.join(root, split, INDEX_NAME), scan_vps_split(root, split))
        except DataError as exc:
            report.error(f'index of {split!r} not written: {exc}')
    return report


def write_index(root: str, splits: Optional[Sequence[str]] = None) -> List[str]:
    """Write ``<split>/index.json`` (clips, positions, label files) for each split."""
    splits = list(splits or existing_splits(root, SPLITS, 'img'))
    if not splits:
        raise SystemExit(f'error: {root!r} holds no Cityscapes-VPS split (expected {root}/train/img/).')
    paths = []
    for split in splits:
        path = osp.join(root, split, INDEX_NAME)
        try:
            write_json_atomic(path, scan_vps_split(root, split))
        except DataError as exc:
            raise SystemExit(f'error: {exc}') from None
        paths.append(path)
    return paths


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    for name, text in (('verify', 'check the tree and print a report'),
                       ('convert', 'convert labelmap (or cls) labels to 15-class cls15, then index'),
                       ('index', 'write <split>/index.json')):
        p = sub.add_parser(name, help=text)
        p.add_argument('root', help='Cityscapes-VPS root (holding train/, val/)')
        p.add_argument('--splits', nargs='+', help='default: every split present')
        if name in ('verify', 'convert'):
            p.add_argument('--workers', type=int, default=1, help='processes (default: 1)')
        if name == 'verify':
            p.add_argument('--sequence-root',
                           help='Cityscapes leftImg8bit_sequence/val (frames of the train clips)')
            p.add_argument('--every', type=int, default=1,
                           help='check every n-th unannotated frame (default: 1, all)')
        if name == 'convert':
            p.add_argument('--from', dest='source', choices=['auto', RAW_LABEL_DIR, 'cls'],
                           default='auto', help='label source (default: labelmap if present)')
            p.add_argument('--overwrite', action='store_true', help='convert every label again')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == 'index':
        for path in write_index(args.root, args.splits):
            print(f'wrote {path}')
        return 0
    if args.command == 'verify':
        report = verify(args.root, args.sequence_root, args.splits, args.workers, args.every)
    else:
        report = convert(args.root, args.splits, args.workers, args.source, args.overwrite)
    print(report.format())
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
