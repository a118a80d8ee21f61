"""VIPER (Richter et al., "Playing for Benchmarks", ICCV 2017): the source domain.

Official per-sequence layout of a split (``train``, ``val``, ``test``), as the release
archives extract (the VIPER toolkit's README)::

    <data_root>/<split>/img/SSS/SSS_FFFFF.jpg    frames, 1920x1080 (``.png`` also shipped)
    <data_root>/<split>/cls/SSS/SSS_FFFFF.png    class labels: indexed 8-bit PNG whose pixel
                                                 value is the class id 0..31 of classes.csv

``SSS`` is the 3-digit sequence id, ``FFFFF`` the 5-digit frame index. What
``tools/data/viper.py`` adds (docs/data.md; the preparation code is ``uda_toolbox.data_prep.viper``,
this module holds what training reads)::

    <data_root>/<split>/cls15/SSS/SSS_FFFFF.png  labels as the 15 train ids (255 ignore)
    <data_root>/<split>/cls15/conversion.json    the conversion settings
    <data_root>/<split>/index.json               frames and labels per sequence (fast start)
    <data_root>/conditions.csv                   split,sequence,condition (confirmed by you)

Label mapping to Shin et al. (2021)'s 15 classes (``VIPER_TO_CLASS``): the DA-VSN /
UnifiedVideoDA mapping of VIPER ids (road 3, sidewalk 4, building 9, fence 11, traffic light
13, traffic sign 14, vegetation 7 "tree" + 8 "vegetation", terrain 6, sky 2, person 20, car
24, truck 27, bus 26, motorbike 23 "motorcycle") plus **pole from id 10 "infrastructure"**:
VIPER has no pole class, Shin et al. (2021) reports a non-zero source-only pole IoU (6.7), and
infrastructure (street lamps, poles, gantries) is the class drawn in Cityscapes' pole colour.
``pole_from_infrastructure=False`` maps it to 255 instead. Every other id becomes 255.

Day-only sequences (Shin et al. (2021) Sec. 5.1: 42,455 "day" frames): each VIPER sequence was recorded
in one of five conditions (day, sunset, rain, night, snow), but neither the release nor the
toolkit contains a file that records which; see :func:`read_conditions` for the file the
dataset reads instead, or list the sequences in the config (``sequences=[...]``).
"""
import csv
import os
import os.path as osp
import re
import warnings
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from uda_toolbox.datasets.clip_dataset import (
    ClipDataset,
    _find_flow,
    flow_command,
    make_frame,
    natural_key,
)
from uda_toolbox.datasets.index_files import load_listing
from uda_toolbox.registry import DATASETS
from uda_toolbox.utils.classes import VIDEO_UDA_CLASSES
from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError
from uda_toolbox.utils.io import resolve_inside

# classes.csv of the VIPER toolkit: id -> (name, RGB colour).
VIPER_CLASSES = (
    'unlabeled', 'ambiguous', 'sky', 'road', 'sidewalk', 'railtrack', 'terrain', 'tree',
    'vegetation', 'building', 'infrastructure', 'fence', 'billboard', 'trafficlight',
    'trafficsign', 'mobilebarrier', 'firehydrant', 'chair', 'trash', 'trashcan', 'person',
    'animal', 'bicycle', 'motorcycle', 'car', 'van', 'bus', 'truck', 'trailer', 'train',
    'plane', 'boat')
VIPER_PALETTE = (
    (0, 0, 0), (111, 74, 0), (70, 130, 180), (128, 64, 128), (244, 35, 232), (230, 150, 140),
    (152, 251, 152), (87, 182, 35), (35, 142, 35), (70, 70, 70), (153, 153, 153),
    (190, 153, 153), (150, 20, 20), (250, 170, 30), (220, 220, 0), (180, 180, 100),
    (173, 153, 153), (168, 153, 153), (81, 0, 21), (81, 0, 81), (220, 20, 60), (255, 0, 0),
    (119, 11, 32), (0, 0, 230), (0, 0, 142), (0, 80, 100), (0, 60, 100), (0, 0, 70), (0, 0, 90),
    (0, 80, 100), (0, 100, 100), (50, 0, 90))
VIPER_NUM_IDS = len(VIPER_CLASSES)  # valid raw ids: 0..31
VIPER_CONDITIONS = ('day', 'sunset', 'rain', 'night', 'snow')
# Ends every condition the conditions template guessed (``day?``): read_conditions refuses it until
# a person has looked at the sequence and written the condition without the mark.
GUESS_MARK = '?'

# VIPER class name -> one of the 15 classes (VIDEO_UDA_CLASSES); see the module docstring.
VIPER_TO_CLASS = {
    'road': 'road', 'sidewalk': 'sidewalk', 'building': 'building', 'fence': 'fence',
    'infrastructure': 'pole', 'trafficlight': 'traffic light', 'trafficsign': 'traffic sign',
    'tree': 'vegetation', 'vegetation': 'vegetation', 'terrain': 'terrain', 'sky': 'sky',
    'person': 'person', 'car': 'car', 'truck': 'truck', 'bus': 'bus', 'motorcycle': 'motorbike',
}

CONVERTED_LABEL_DIR = 'cls15'
RAW_LABEL_DIR = 'cls'
INDEX_NAME = 'index.json'
INDEX_FORMAT = 'uda_toolbox.viper_index'
INDEX_VERSION = 1
_FRAME_STEM = re.compile(r'^(?P<seq>[^_]+)_(?P<frame>\d+)$')


def viper_label_map(pole_from_infrastructure: bool = True) -> Dict[int, int]:
    """VIPER class id -> train id of the 15 classes (ids it does not list are ignored)."""
    label_map = {}
    for viper_id, name in enumerate(VIPER_CLASSES):
        target = VIPER_TO_CLASS.get(name)
        if target is None or (name == 'infrastructure' and not pole_from_infrastructure):
            continue
        label_map[viper_id] = VIDEO_UDA_CLASSES.index(target)
    return label_map


# ----------------------------------------------------------------------------- conditions


def normalise_sequence(seq: Any) -> str:
    """``1`` / ``'1'`` / ``'001'`` -> ``'001'`` (VIPER's 3-digit sequence ids)."""
    text = str(seq).strip()
    return text.zfill(3) if text.isdigit() else text


def read_conditions(path: str) -> Dict[Tuple[str, str], str]:
    """Read a conditions file: CSV with the columns ``split,sequence,condition`` (others ignored).

    One line per sequence, e.g. ``train,001,day``. No public file of the VIPER release records
    the condition of a sequence; ``tools/data/viper.py conditions`` writes a template whose
    conditions are guesses marked ``?`` (``day?``) for you to confirm (docs/data.md). A guess
    never feeds training: a condition that still carries the mark is an error naming the row and
    the fix. (Files with a ``checked`` column, from earlier templates, must say ``yes`` there.)

    Returns:
        ``{(split, 'SSS'): condition}`` with conditions in :data:`VIPER_CONDITIONS`.
    """
    if not osp.isfile(path):
        raise DataNotFoundError(f'VIPER conditions file {path!r} does not exist.')
    table, guesses = {}, []
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        missing = {'split', 'sequence', 'condition'} - set(reader.fieldnames or ())
        if missing:
            raise DataFormatError(f'VIPER conditions file {path!r} lacks the column(s) '
                                  f'{sorted(missing)}; its header must be split,sequence,condition.')
        has_checked = 'checked' in (reader.fieldnames or ())
        for line_no, row in enumerate(reader, start=2):
            if has_checked and (row['checked'] or '').strip().lower() not in ('yes', 'y', 'true', '1'):
                raise DataFormatError(
                    f'VIPER conditions file {path!r} line {line_no}: the condition of sequence '
                    f'{row["sequence"]} is an unconfirmed guess (checked={row["checked"]!r}). Look at '
                    'the sequence, fix its condition and set checked=yes.')
            condition = (row['condition'] or '').strip().lower()
            key = ((row['split'] or '').strip(), normalise_sequence(row['sequence']))
            if condition.endswith(GUESS_MARK):
                guesses.append((line_no, key, condition))
                continue
            if condition not in VIPER_CONDITIONS:
                raise DataFormatError(
                    f'VIPER conditions file {path!r} line {line_no}: condition {condition!r} is '
                    f'not one of {VIPER_CONDITIONS}.')
            if key in table and table[key] != condition:
                raise DataFormatError(f'VIPER conditions file {path!r} line {line_no}: sequence '
                                      f'{key} is listed twice with different conditions.')
            table[key] = condition
    if guesses:
        shown = ', '.join(f'line {n}: {split},{seq},{cond}' for n, (split, seq), cond in guesses[:5])
        more = f' (and {len(guesses) - 5} more)' if len(guesses) > 5 else ''
        raise DataFormatError(
            f'VIPER conditions file {path!r} still has {len(guesses)} unconfirmed guess(es) of '
            f'tools/data/viper.py conditions, marked {GUESS_MARK!r}: {shown}{more}. The guesses come '
            'from image statistics and can be wrong (a dark, noisy night sequence can look like '
            'day). Look at each sequence\'s frames (<root>/<split>/img/SSS/), then confirm the '
            f'condition by removing the {GUESS_MARK!r} or edit it to one of {VIPER_CONDITIONS}.')
    return table


# ----------------------------------------------------------------------------- index


def _list_frames(directory: str, seq: str, suffixes: Sequence[str]) -> Dict[int, str]:
    """``{frame index: suffix}`` of the files ``<seq>_<FFFFF><suffix>`` in ``directory``.

    When a frame exists with several suffixes the first of ``suffixes`` wins. Hidden files
    (temporaries of atomic writers) are skipped; other names trigger a warning.
    """
    found: Dict[int, str] = {}
    for name in os.listdir(directory):
        if name.startswith('.'):
            continue
        suffix = next((s for s in suffixes if name.endswith(s)), None)
        if suffix is None:
            continue
        match = _FRAME_STEM.match(name[:-len(suffix)])
        if match is None or match.group('seq') != seq:
            warnings.warn(f'VIPER: skipping {osp.join(directory, name)!r}: not named '
                          f'{seq}_<FFFFF>{suffix}.', stacklevel=3)
            continue
        idx = int(match.group('frame'))
        if idx not in found or suffixes.index(suffix) < suffixes.index(found[idx]):
            found[idx] = suffix
    return found


def scan_viper_split(data_root: str, split: str,
                     img_suffixes: Sequence[str] = ('.jpg', '.png'),
                     label_dirs: Iterable[str] = (RAW_LABEL_DIR, CONVERTED_LABEL_DIR)) -> dict:
    """List the frames and labels of one split (the content of ``<split>/index.json``).

    Returns:
        ``dict(format, version, split, img_suffixes, sequences={SSS: {'frames': [...],
        'img_suffix': {...}}}, labels={label_dir: {SSS: [frame, ...]}})``; ``img_suffix``
        maps a suffix to its frames when a sequence mixes them, else it is one string.
    """
    img_root = osp.join(data_root, split, 'img')
    if not osp.isdir(img_root):
        raise DataNotFoundError(f'VIPER: {img_root!r} does not exist.')
    sequences = {}
    labels: Dict[str, Dict[str, List[int]]] = {}
    seq_ids = sorted((e.name for e in os.scandir(img_root)
                      if e.is_dir() and not e.name.startswith('.')), key=natural_key)
    for seq in seq_ids:
        frames = _list_frames(osp.join(img_root, seq), seq, tuple(img_suffixes))
        by_suffix: Dict[str, List[int]] = {}
        for idx, suffix in sorted(frames.items()):
            by_suffix.setdefault(suffix, []).append(idx)
        img_suffix: Any = (next(iter(by_suffix)) if len(by_suffix) == 1 else by_suffix)
        sequences[seq] = dict(frames=sorted(frames), img_suffix=img_suffix)
    for label_dir in label_dirs:
        root = osp.join(data_root, split, label_dir)
        if not osp.isdir(root):
            continue
        labels[label_dir] = {}
        for seq in seq_ids:
            seq_dir = osp.join(root, seq)
            labels[label_dir][seq] = (sorted(_list_frames(seq_dir, seq, ('.png',)))
                                      if osp.isdir(seq_dir) else [])
    return dict(format=INDEX_FORMAT, version=INDEX_VERSION, split=split,
                img_suffixes=list(img_suffixes), sequences=sequences, labels=labels)


def frame_suffix(entry: dict, idx: int) -> str:
    """Image suffix of frame ``idx`` of a sequence entry of the index."""
    suffix = entry['img_suffix']
    if isinstance(suffix, str):
        return suffix
    return next(s for s, frames in suffix.items() if idx in frames)


# ----------------------------------------------------------------------------- dataset


@DATASETS.register_module()
class VIPERDataset(ClipDataset):
    """VIPER clips in the official per-sequence layout (module docstring; docs/data.md).

    Args:
        data_root: The VIPER root holding ``train/``, ``val/``, ...
        split: Split directory name.
        labels: ``'converted'``: the 15-class PNGs of ``<split>/cls15`` written by
            ``tools/data/viper.py convert`` (ego vehicle removed); ``'raw'``: the official
            ``<split>/cls`` ids mapped on the fly with :func:`viper_label_map`; None: no labels.
        condition: Keep the sequences of this condition (``'day'`` in Shin et al. (2021)), read
            from ``conditions_file``; None keeps every sequence.
        conditions_file: CSV ``split,sequence,condition`` (:func:`read_conditions`), relative
            to ``data_root`` unless absolute.
        sequences: Explicit sequence ids to keep; overrides ``condition``.
        img_suffixes: Frame endings accepted, in order of preference.
        pole_from_infrastructure: With ``labels='raw'``, map id 10 "infrastructure" to pole.
        index_file: ``<split>/``-relative index written by ``tools/data/viper.py index`` that
            replaces the directory scan; None always scans.
        flow_root: Optional flow cache ``<flow_root>/SSS/SSS_FFFFF_{bw,fw}.npy`` (relative to
            ``data_root`` unless absolute).
        prepare_hint: Appended to missing-data errors; defaults to the preparation commands.
        **kwargs: :class:`ClipDataset` arguments (``mode``, ``tau``, ``labelled_only``,
            ``pipeline``, ``pseudo_label_dir``, ...).
    """

    def __init__(self,
                 data_root: str = 'data/viper',
                 split: str = 'train',
                 labels: Optional[str] = 'converted',
                 condition: Optional[str] = 'day',
                 conditions_file: str = 'conditions.csv',
                 sequences: Optional[Sequence[Any]] = None,
                 img_suffixes: Sequence[str] = ('.jpg', '.png'),
                 pole_from_infrastructure: bool = True,
                 index_file: Optional[str] = INDEX_NAME,
                 flow_root: Optional[str] = None,
                 prepare_hint: Optional[str] = None,
                 **kwargs) -> None:
        for key in ('data_prefix', 'label_map', 'img_suffix', 'seg_map_suffix'):
            if key in kwargs:
                raise TypeError(f'VIPERDataset sets {key} itself from split/labels; remove it.')
        if labels not in ('converted', 'raw', None):
            raise ValueError(f"VIPERDataset: labels must be 'converted', 'raw' or None, got "
                             f'{labels!r}.')
        if condition is not None and condition not in VIPER_CONDITIONS:
            raise ValueError(f'VIPERDataset: condition must be one of {VIPER_CONDITIONS} or '
                             f'None, got {condition!r}.')
        self.split = split
        self.labels = labels
        self.condition = condition
        self.sequences = None if sequences is None else [normalise_sequence(s) for s in sequences]
        self.img_suffixes = tuple(img_suffixes)
        self.index_file = index_file
        root = data_root or ''
        self.conditions_file = (conditions_file if osp.isabs(conditions_file)
                                else osp.join(root, conditions_file))
        self.label_dir = dict(converted=CONVERTED_LABEL_DIR, raw=RAW_LABEL_DIR).get(labels)
        if prepare_hint is None:
            prepare_hint = (f'Prepare VIPER as in docs/data.md ("VIPER and Cityscapes-VPS"): '
                            f'python tools/data/viper.py verify {root} && '
                            f'python tools/data/viper.py convert {root}'
                            + flow_command(root, split, flow_root, '--layout viper'))
        data_prefix = dict(img_path=osp.join(split, 'img'),
                           seg_map_path=osp.join(split, self.label_dir) if self.label_dir else None,
                           flow_path=flow_root)
        super().__init__(
            data_root=data_root, data_prefix=data_prefix, img_suffix=self.img_suffixes[0],
            seg_map_suffix='.png',
            label_map=viper_label_map(pole_from_infrastructure) if labels == 'raw' else None,
            prepare_hint=prepare_hint, **kwargs)

    # ------------------------------------------------------------------ helpers
    def _hint(self) -> str:
        return f' {self.prepare_hint}' if self.prepare_hint else ''

    def _load_listing(self) -> dict:
        """The split's index file when it is valid and knows the label dir, else a fresh scan."""
        root = self._data_root_given or ''
        return load_listing(
            self.index_file and osp.join(root, self.split, self.index_file),
            dict(format=INDEX_FORMAT, version=INDEX_VERSION, split=self.split), self.label_dir,
            lambda: scan_viper_split(root, self.split, self.img_suffixes,
                                     (self.label_dir,) if self.label_dir else ()),
            'VIPER', f'python tools/data/viper.py index {root}')

    def select_sequences(self, available: Sequence[str]) -> List[str]:
        """Sequences to use: ``sequences`` if given, else those of ``condition`` (all if None)."""
        img_root = self.data_prefix['img_path']
        if self.sequences is not None:
            missing = [s for s in self.sequences if s not in available]
            if missing:
                raise DataNotFoundError(
                    f'VIPER: sequences {missing} (from the config) are not in {img_root!r}; it '
                    f'holds {list(available)[:20]}. Fix the sequences list or the tree.'
                    + self._hint())
            return list(self.sequences)
        if self.condition is None:
            return list(available)
        if not osp.isfile(self.conditions_file):
            raise DataNotFoundError(
                f'VIPER: condition={self.condition!r} needs the conditions file '
                f'{self.conditions_file!r} (no file of the VIPER release records the condition of '
                'a sequence). Write a template with a guess per sequence with: python '
                f'tools/data/viper.py conditions {self._data_root_given}, confirm each row (look '
                f'at the sequence, then remove the {GUESS_MARK!r} of its guessed condition or fix '
                'it), and save it under that name; or list the sequences (sequences=[...]; the '
                'viper2cityscapes configs\' viper_sequences) or set condition=None for all '
                'sequences.')
        table = read_conditions(self.conditions_file)
        unknown = [s for s in available if (self.split, s) not in table]
        if unknown:
            raise DataFormatError(
                f'VIPER: the conditions file {self.conditions_file!r} has no row for sequence(s) '
                f'{unknown[:20]} of split {self.split!r}; add one line "{self.split},SSS,'
                'condition" per sequence.')
        keep = [s for s in available if table[(self.split, s)] == self.condition]
        if not keep:
            raise DataFormatError(f'VIPER: no sequence of split {self.split!r} has condition '
                                  f'{self.condition!r} in {self.conditions_file!r}.')
        return keep

    # ----------------------------------------------------------------- scanning
    def scan_clips(self) -> Dict[str, List[Dict[str, Any]]]:
        """Frames of the selected sequences with their labels (and flow, if configured)."""
        img_root = self.data_prefix['img_path']
        seg_root = self.data_prefix.get('seg_map_path')
        flow_root = self.data_prefix.get('flow_path')
        listing = self._load_listing()
        available = [s for s, e in listing['sequences'].items() if e['frames']]
        if not available:
            raise DataNotFoundError(
                f'VIPER: split {self.split!r} is empty: no frame SSS/SSS_FFFFF'
                f'{self.img_suffixes} under {img_root!r}.' + self._hint())
        labelled = listing['labels'].get(self.label_dir, {}) if self.label_dir else {}
        clips = {}
        for seq in self.select_sequences(available):
            entry = listing['sequences'][seq]
            with_label = set(labelled.get(seq, ()))
            if seg_root and not with_label:
                raise DataFormatError(
                    f'VIPER: sequence {seq!r} has {len(entry["frames"])} frames in '
                    f'{osp.join(img_root, seq)!r} but no label in {osp.join(seg_root, seq)!r}. '
                    + ('Convert its labels: python tools/data/viper.py convert '
                       f'{self._data_root_given}' if self.labels == 'converted' else
                       'Extract its cls archive.')
                    + ' Or leave the sequence out (sequences / conditions file).')
            flow_names = (set(os.listdir(osp.join(flow_root, seq)))
                          if flow_root and osp.isdir(osp.join(flow_root, seq)) else set())
            frames = []
            for idx in entry['frames']:
                stem = f'{seq}_{idx:05d}'
                frames.append(make_frame(
                    idx, resolve_inside(img_root, osp.join(seq, stem + frame_suffix(entry, idx)),
                                        f'VIPER: sequence {seq!r} of the {self.split} index'),
                    osp.join(seg_root, seq, stem + '.png') if idx in with_label else None,
                    _find_flow(flow_root, seq, stem + '_bw', flow_names),
                    _find_flow(flow_root, seq, stem + '_fw', flow_names)))
            clips[seq] = frames
        return clips
