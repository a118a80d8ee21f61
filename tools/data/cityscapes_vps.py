"""Check, convert and index a Cityscapes-VPS tree (docs/data.md, "VIPER and Cityscapes-VPS").

From the repository root, in this order (after the release's own preparation steps)::

    python tools/data/cityscapes_vps.py verify data/cityscapes_vps \\
        --sequence-root data/cityscapes/leftImg8bit_sequence/val [--workers 8]
    python tools/data/cityscapes_vps.py convert data/cityscapes_vps [--workers 8]
    python tools/data/cityscapes_vps.py index data/cityscapes_vps     # after adding/removing files
    python tools/data/compute_flow.py data/cityscapes_vps/train \
        --sequence-root data/cityscapes/leftImg8bit_sequence/val      # VST only: train/flow/

``convert`` maps ``<split>/labelmap`` (Cityscapes trainIds; ``--from cls`` reads the colour
``<split>/cls`` PNGs instead) to ``<split>/cls15`` (the 15 classes, same file names), skips files
already converted, writes atomically (rerun to resume) and ends by writing ``<split>/index.json``.
Exit status 1 when a problem is found.
"""
import os
import os.path as osp
import sys
import warnings
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
from uda_toolbox.utils.classes import VIDEO_UDA_CLASSES  # noqa: E402
from uda_toolbox.datasets.preparation import (  # noqa: E402
    Report,
    collect_checks,
    convert_split,
    print_report,
    run_tasks,
    splits_to_process,
    tool_parser,
    write_indexes,
)

SPLITS = ('train', 'val', 'test')
# Clips per split of the release (Kim et al. CVPR 2020; Shin et al. (2021) Sec. 5.1: 400 train, 50 val).
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
    splits = splits_to_process(
        report, root, splits, SPLITS, 'img',
        missing_root=f'Cityscapes-VPS root {root!r} does not exist. Download the release '
                     '(cityscapes-vps-dataset-1.0.zip) and run its prepare_city_vps steps '
                     '(docs/data.md).',
        no_split=f'{root!r} holds no split: expected {root}/train/img/'
                 'VVVV_FFFF_<city>_<seq>_<frame>_newImg8bit.png (docs/data.md).')
    if not splits:
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
                         f'in {img_root!r}. Run the release\'s prepare_city_vps/fetch_city_images.py.')
            continue
        expected = EXPECTED_CLIPS.get(split)
        if expected is not None and len(clips) != expected:
            report.warn(f'{split}: {len(clips)} clips; the Cityscapes-VPS {split} split has {expected}.')
        label_root = osp.join(root, split, RAW_LABEL_DIR)
        label_names = set(os.listdir(label_root)) if osp.isdir(label_root) else None
        if label_names is None and split != 'test':
            report.error(f'{label_root!r} does not exist: create it with the release\'s '
                         'prepare_city_vps/create_panoptic_labels.py (docs/data.md).')
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
                             f'{labels[min(labels)]!r}). Re-run the release\'s prepare_city_vps steps.')
            elif label_names is not None and len(present) < len(labels):
                for pos in sorted(set(labels) - present):
                    report.error(f'label {osp.join(label_root, labels[pos])!r} of clip {video} is '
                                 'missing. Re-run the release\'s prepare_city_vps steps.')
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
        video_of = {}
        for video, clip in clips.items():
            for _, name in clip['annotated']:
                video_of[name] = video
            for pos in range(CLIP_LENGTH):
                video_of[sequence_frame_name(clip['city'], clip['seq'],
                                             clip['first_frame'] + pos)] = video
        sizes, ids_present = collect_checks(report, results, split,
                                            lambda img, of=video_of: of.get(osp.basename(img)), 'clip')
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
    splits = splits_to_process(
        report, root, splits, SPLITS, (RAW_LABEL_DIR, 'cls'),
        missing_root=f'Cityscapes-VPS root {root!r} does not exist (docs/data.md).',
        no_split=f'{root!r} has no {RAW_LABEL_DIR}/ (or cls/) directory in any split. Create it '
                 'with the release\'s prepare_city_vps/create_panoptic_labels.py (docs/data.md).')
    for split in splits:
        src_kind = source
        if source == 'auto':
            src_kind = RAW_LABEL_DIR if osp.isdir(osp.join(root, split, RAW_LABEL_DIR)) else 'cls'
        src_root = osp.join(root, split, src_kind)
        out_root = osp.join(root, split, CONVERTED_LABEL_DIR)
        if not osp.isdir(src_root):
            report.error(f'{src_root!r} does not exist; run the release\'s prepare_city_vps steps.')
            continue
        names = sorted(n for n in os.listdir(src_root)
                       if not n.startswith('.') and n.endswith('.png'))
        if not names:
            report.error(f'{src_root!r} holds no label PNG; run the release\'s prepare_city_vps steps.')
            continue
        pairs = [(osp.join(src_root, name), osp.join(out_root, name)) for name in names]
        if convert_split(report, split, pairs, out_root, conversion_settings(src_kind),
                         convert_vps_file, (src_kind,), workers, overwrite,
                         desc=f'convert Cityscapes-VPS {split} ({src_kind}/)'):
            write_indexes(root, [split], SPLITS, scan_vps_split, INDEX_NAME, 'Cityscapes-VPS',
                          report)
    return report


def write_index(root: str, splits: Optional[Sequence[str]] = None) -> List[str]:
    """Write ``<split>/index.json`` (clips, positions, label files) for each split."""
    return write_indexes(root, splits, SPLITS, scan_vps_split, INDEX_NAME, 'Cityscapes-VPS')


def parse_args(argv=None):
    parser, subs = tool_parser(
        __doc__.split('\n')[0],
        dict(verify='check the tree and print a report',
             convert='convert labelmap (or cls) labels to 15-class cls15, then index',
             index='write <split>/index.json'),
        root_help='Cityscapes-VPS root (holding train/, val/)')
    subs['verify'].add_argument(
        '--sequence-root', help='Cityscapes leftImg8bit_sequence/val (frames of the train clips)')
    subs['verify'].add_argument('--every', type=int, default=1,
                                help='check every n-th unannotated frame (default: 1, all)')
    subs['convert'].add_argument('--from', dest='source', choices=['auto', RAW_LABEL_DIR, 'cls'],
                                 default='auto', help='label source (default: labelmap if present)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == 'index':
        for path in write_index(args.root, args.splits):
            print(f'wrote {path}')
        return 0
    if args.command == 'verify':
        return print_report(verify(args.root, args.sequence_root, args.splits, args.workers,
                                   args.every))
    return print_report(convert(args.root, args.splits, args.workers, args.source, args.overwrite))


if __name__ == '__main__':
    sys.exit(main())
