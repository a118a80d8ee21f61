"""Cityscapes-VPS preparation: read the release's labels (``labelmap/`` trainIds, colour ``cls/``),
verify a tree, convert it to the 15 classes (``<split>/cls15``) and write ``<split>/index.json``
(docs/data.md, "VIPER and Cityscapes-VPS"). The runtime dataset (layout, clip grouping, label map,
index reading) is ``uda_toolbox.datasets.cityscapes_vps``.
"""
import os
import os.path as osp
import warnings
from typing import List, Optional, Sequence, Tuple

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
from uda_toolbox.datasets.cityscapes_vps import (
    ANNOTATION_INTERVAL,
    CITYSCAPES_TRAIN_ID_CLASSES,
    CITYSCAPES_TRAIN_ID_COLORS,
    CLIP_LENGTH,
    CONVERTED_LABEL_DIR,
    INDEX_NAME,
    RAW_LABEL_DIR,
    cityscapes_label_map,
    group_clips,
    label_name,
    parse_image_name,
    scan_vps_split,
    sequence_frame_name,
)
from uda_toolbox.utils.classes import IGNORE_INDEX, VIDEO_UDA_CLASSES
from uda_toolbox.utils.errors import DataFormatError

SPLITS = ('train', 'val', 'test')
# Clips per split of the release (Kim et al. CVPR 2020; Shin et al. (2021) Sec. 5.1: 400 train, 50 val).
EXPECTED_CLIPS = dict(train=400, val=50, test=50)
CONVERSION_FORMAT = 'uda_toolbox.cityscapes_vps_cls15'
CONVERSION_VERSION = 1


# ----------------------------------------------------------------------------- labels


def cityscapes_lookup_table() -> np.ndarray:
    """(256,) uint8 table: Cityscapes trainId (or 255) -> 15-class train id (or 255)."""
    lut = np.full(256, IGNORE_INDEX, np.uint8)
    for train_id, ours in cityscapes_label_map().items():
        lut[train_id] = ours
    return lut


def read_vps_label(path: str, source: str = RAW_LABEL_DIR) -> np.ndarray:
    """Read a Cityscapes-VPS label as (H, W) uint8 ids.

    Args:
        path: The label PNG.
        source: ``'labelmap'``: a ``labelmap/`` PNG of Cityscapes trainIds (0..18, 255 void;
            anything else is an error); ``'cls'``: a ``cls/`` colour PNG (``gtFine_color``
            colours, trainIds out; colours of classes without a trainId become 255);
            ``'cls15'``: a label converted by ``tools/data/cityscapes_vps.py`` (15 train ids, 255).
    """
    array = decode_label(path, 'Cityscapes-VPS label',
                         "Re-create it with the release's prepare_city_vps scripts."
                         if source != CONVERTED_LABEL_DIR else 'Delete it and run convert again.')
    if source == 'cls':
        if array.ndim != 3:
            raise DataFormatError(f'Cityscapes-VPS colour label {path!r} has shape {array.shape}; '
                                  'expected an RGB gtFine_color-style image.')
        return colours_to_ids(array, CITYSCAPES_TRAIN_ID_COLORS)[0]
    if array.ndim != 2:
        raise DataFormatError(f'Cityscapes-VPS label {path!r} has shape {array.shape}; {source}/ '
                              'files are single-channel id maps (use --from cls for the colour '
                              'files).')
    if source == CONVERTED_LABEL_DIR:
        bad = values_outside(array, len(VIDEO_UDA_CLASSES), (IGNORE_INDEX,))
        if bad:
            raise DataFormatError(f'converted label {path!r} has values {bad}: it is not a '
                                  '15-class map; delete it and run convert again.')
        return array.astype(np.uint8)
    bad = values_outside(array, len(CITYSCAPES_TRAIN_ID_CLASSES), (IGNORE_INDEX,))
    if bad:
        raise DataFormatError(
            f'Cityscapes-VPS label {path!r} has values {bad} outside the Cityscapes trainIds 0..18 '
            "and 255: it is not a labelmap/ file (labelIds instead of trainIds?). Re-create it "
            "with the release's prepare_city_vps/create_panoptic_labels.py.")
    return array.astype(np.uint8)


def check_vps_frame(task: Tuple[str, Optional[str], str]) -> dict:
    """Verify worker: ``(image path, label path or None, label source 'labelmap' | 'cls' |
    'cls15')`` -> :func:`~uda_toolbox.data_prep.common.check_frame_and_label`'s result."""
    img_path, label_path, source = task
    return check_frame_and_label(img_path, label_path,
                                 lambda path: read_vps_label(path, source), 'Cityscapes-VPS',
                                 'Copy it again from Cityscapes leftImg8bit_sequence.')


def convert_vps_file(task: Tuple[str, str, str]) -> Tuple[str, Optional[str]]:
    """Convert worker: ``(src, dst, source)`` -> the 15-class label written atomically;
    returns ``(dst, None)`` or ``(dst, error message)``."""
    src, dst, source = task
    return convert_label_file(src, dst,
                              lambda path: cityscapes_lookup_table()[read_vps_label(path, source)])


# ----------------------------------------------------------------------------- the tool


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

