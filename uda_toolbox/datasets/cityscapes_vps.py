"""Cityscapes-VPS (Kim et al., "Video Panoptic Segmentation", CVPR 2020): the target domain.

Cityscapes-VPS is made from the Cityscapes **val** sequences: 500 clips of 30 frames (400
train, 50 val, 50 test), each the window F20-19 .. F20+10 around a gtFine frame F20, with 6
annotated frames at 0-based positions 4, 9, 14, 19, 24, 29 (every 5th; F20 is position 19).
Layout after the release's own preparation steps (the ``prepare_city_vps/`` scripts of VPSNet,
github.com/mcahny/vps; docs/data.md)::

    <data_root>/<split>/img/VVVV_FFFF_<city>_<seq>_<frame>_newImg8bit.png    annotated frames
    <data_root>/<split>/img/VVVV_FFFF_<city>_<seq>_<frame>_leftImg8bit.png   (F20 keeps its name)
    <data_root>/<split>/labelmap/<same stem with final_mask | gtFine_color>.png
                                   uint8 Cityscapes trainIds 0..18, 255 void
    <data_root>/val/img_all/<city>_<seq>_<frame>_leftImg8bit.png             all 30 frames (val)
    <sequence_root>/<city>/<city>_<seq>_<frame>_leftImg8bit.png              Cityscapes
                                   leftImg8bit_sequence/val: the other 24 frames of train clips

``VVVV`` is the clip (video) id, ``FFFF`` the running index of annotated frames
((VVVV - 1) * 6 + k, k = 1..6), ``<frame>`` the Cityscapes frame number. Sorting the
annotated files by name gives (clip, time) order. ``tools/data/cityscapes_vps.py`` adds
``<split>/cls15/`` (labels as the 15 train ids, same names as ``labelmap/``) and
``<split>/index.json`` (preparation code: ``uda_toolbox.data_prep.cityscapes_vps``; this module
holds what training reads).

Clip ids are ``VVVV``; frame indices are positions 0..29 in the clip, so annotated frames are
5 apart as ClipSegMetric's VPQ^s windows expect. Label mapping: Cityscapes trainIds
(cityscapesScripts ``labels.py``) to the 15 classes by name; wall, rider, train and bicycle
are ignored (255).
"""
import os
import os.path as osp
import re
import warnings
from typing import Any, Dict, List, Optional, Tuple

from uda_toolbox.datasets.clip_dataset import ClipDataset, _find_flow, flow_command, make_frame
from uda_toolbox.datasets.index_files import load_listing
from uda_toolbox.registry import DATASETS
from uda_toolbox.utils.classes import (
    CITYSCAPES_CLASSES,
    CITYSCAPES_NAMES,
    CITYSCAPES_PALETTE,
    VIDEO_UDA_CLASSES,
)
from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError
from uda_toolbox.utils.io import resolve_inside

# Cityscapes trainIds 0..18 and their colours (mmseg's CityscapesDataset.METAINFO).
CITYSCAPES_TRAIN_ID_CLASSES = CITYSCAPES_CLASSES
CITYSCAPES_TRAIN_ID_COLORS = CITYSCAPES_PALETTE
# Cityscapes names Shin et al. (2021)'s "motorbike" class "motorcycle".
_CLASS_ALIASES = {cityscapes: ours for ours, cityscapes in CITYSCAPES_NAMES.items()}

CONVERTED_LABEL_DIR = 'cls15'
RAW_LABEL_DIR = 'labelmap'
INDEX_NAME = 'index.json'
INDEX_FORMAT = 'uda_toolbox.cityscapes_vps_index'
INDEX_VERSION = 1
CLIP_LENGTH = 30
ANNOTATION_INTERVAL = 5

_IMG_RE = re.compile(r'^(?P<video>\d{4})_(?P<index>\d{4})_(?P<city>.+)_(?P<seq>\d{6})_'
                     r'(?P<frame>\d{6})_(?P<kind>newImg8bit|leftImg8bit)\.png$')
_LABEL_SUFFIX = {'newImg8bit': 'final_mask', 'leftImg8bit': 'gtFine_color'}


def cityscapes_label_map() -> Dict[int, int]:
    """Cityscapes trainId -> train id of the 15 classes (unlisted trainIds are ignored)."""
    label_map = {}
    for train_id, name in enumerate(CITYSCAPES_TRAIN_ID_CLASSES):
        name = _CLASS_ALIASES.get(name, name)
        if name in VIDEO_UDA_CLASSES:
            label_map[train_id] = VIDEO_UDA_CLASSES.index(name)
    return label_map


def parse_image_name(name: str) -> Optional[Dict[str, Any]]:
    """Fields of an annotated-frame name ``VVVV_FFFF_<city>_<seq>_<frame>_<kind>.png`` or None."""
    match = _IMG_RE.match(name)
    if match is None:
        return None
    return dict(video=match.group('video'), index=int(match.group('index')),
                city=match.group('city'), seq=match.group('seq'),
                frame=int(match.group('frame')), kind=match.group('kind'))


def label_name(image_name: str) -> str:
    """Label file name of an annotated frame: ``newImg8bit`` -> ``final_mask``,
    ``leftImg8bit`` -> ``gtFine_color`` (the names of the release's ``labelmap/``)."""
    for kind, label_kind in _LABEL_SUFFIX.items():
        if image_name.endswith(f'_{kind}.png'):
            return image_name[:-len(f'{kind}.png')] + f'{label_kind}.png'
    raise ValueError(f'{image_name!r} is not a Cityscapes-VPS frame name (*_newImg8bit.png or '
                     '*_leftImg8bit.png).')


def sequence_frame_name(city: str, seq: str, frame: int) -> str:
    """Cityscapes sequence file name ``<city>_<seq>_<frame:06d>_leftImg8bit.png``."""
    return f'{city}_{seq}_{frame:06d}_leftImg8bit.png'


def group_clips(names: List[str], directory: str, clip_length: int = CLIP_LENGTH,
                interval: int = ANNOTATION_INTERVAL,
                errors: Optional[List[str]] = None) -> Dict[str, dict]:
    """Group annotated-frame names into clips and place them in their 30-frame windows.

    Args:
        names: File names of ``<split>/img`` (others are skipped with a warning).
        directory: Their directory, for messages.
        clip_length: Frames per clip.
        interval: Annotated every ``interval``-th frame, the last one at position
            ``clip_length - 1``.
        errors: If given, a malformed clip's message is appended here and the clip skipped
            (the verify tool); otherwise it raises :class:`DataFormatError`.

    Returns:
        ``{VVVV: dict(city, seq, first_frame, annotated=[[position, name], ...])}`` in name order.
    """
    by_video: Dict[str, List[Tuple[str, dict]]] = {}
    for name in sorted(names):
        if name.startswith('.') or not name.endswith('.png'):
            continue
        fields = parse_image_name(name)
        if fields is None:
            warnings.warn(f'Cityscapes-VPS: skipping {osp.join(directory, name)!r}: not named '
                          'VVVV_FFFF_<city>_<seq>_<frame>_newImg8bit.png.', stacklevel=2)
            continue
        by_video.setdefault(fields['video'], []).append((name, fields))
    expected = clip_length // interval
    clips = {}
    for video, entries in by_video.items():
        first = entries[0][1]
        other = [n for n, f in entries if (f['city'], f['seq']) != (first['city'], first['seq'])]
        frames = [f['frame'] for _, f in entries]
        start = frames[-1] - (clip_length - 1)
        positions = [frame - start for frame in frames]
        wanted = [interval - 1 + interval * k for k in range(expected)]
        problem = None
        if other:
            problem = (f'Cityscapes-VPS: clip {video} in {directory!r} mixes Cityscapes sequences '
                       f'({entries[0][0]!r} and {other[0]!r}); re-extract the release.')
        elif positions != wanted:
            problem = (f'Cityscapes-VPS: clip {video} in {directory!r} has annotated frames '
                       f'{frames} (positions {positions} of a {clip_length}-frame window); '
                       f'expected {expected} frames at positions {wanted}. The clip is '
                       'incomplete or renamed; re-extract it from the release.')
        if problem is not None:
            if errors is None:
                raise DataFormatError(problem)
            errors.append(problem)
            continue
        clips[video] = dict(city=first['city'], seq=first['seq'], first_frame=start,
                            annotated=[[p, n] for p, (n, _) in zip(positions, entries)])
    return clips


def scan_vps_split(data_root: str, split: str, label_dirs=(RAW_LABEL_DIR, CONVERTED_LABEL_DIR),
                   clip_length: int = CLIP_LENGTH, interval: int = ANNOTATION_INTERVAL) -> dict:
    """The content of ``<split>/index.json``: clips and which label files exist."""
    img_root = osp.join(data_root, split, 'img')
    if not osp.isdir(img_root):
        raise DataNotFoundError(f'Cityscapes-VPS: {img_root!r} does not exist.')
    clips = group_clips(os.listdir(img_root), img_root, clip_length, interval)
    labels = {}
    for label_dir in label_dirs:
        root = osp.join(data_root, split, label_dir)
        if osp.isdir(root):
            labels[label_dir] = sorted(n for n in os.listdir(root) if not n.startswith('.'))
    return dict(format=INDEX_FORMAT, version=INDEX_VERSION, split=split,
                clip_length=clip_length, annotation_interval=interval, clips=clips, labels=labels)


@DATASETS.register_module()
class CityscapesVPSDataset(ClipDataset):
    """Cityscapes-VPS clips (module docstring; docs/data.md).

    ``mode='train'`` uses all 30 frames of every clip (frame pairs); ``mode='test'`` the 6
    annotated frames. Unannotated frames come from ``<split>/img_all/`` when the split has it
    (val, test), else from ``sequence_root``.

    Args:
        data_root: The Cityscapes-VPS root holding ``train/``, ``val/``.
        sequence_root: Cityscapes ``leftImg8bit_sequence/val`` (``<city>/...`` inside); needed
            by ``mode='train'`` on a split without ``img_all/``.
        split: Split directory name.
        with_labels: Attach the annotated frames' labels; None: only in ``mode='test'`` (UDA
            methods train on unlabelled target clips; the oracle sets True).
        labels: ``'converted'``: 15-class PNGs of ``<split>/cls15`` (tools/data/cityscapes_vps.py
            convert); ``'raw'``: the release's ``<split>/labelmap`` trainIds mapped on the fly.
        clip_length, annotation_interval: Clip geometry (30 and 5 in Cityscapes-VPS).
        index_file: ``<split>/``-relative index (tools/data/cityscapes_vps.py index); None scans.
        flow_root: Optional flow cache ``<flow_root>/VVVV/VVVV_FFFFF_{bw,fw}.npy`` (FFFFF = the
            position in the clip), relative to ``data_root`` unless absolute.
        prepare_hint: Appended to missing-data errors; defaults to the preparation commands.
        **kwargs: :class:`ClipDataset` arguments (``mode``, ``tau``, ``labelled_only``, ...).
    """

    def __init__(self,
                 data_root: str = 'data/cityscapes_vps',
                 sequence_root: Optional[str] = None,
                 split: str = 'train',
                 with_labels: Optional[bool] = None,
                 labels: str = 'converted',
                 clip_length: int = CLIP_LENGTH,
                 annotation_interval: int = ANNOTATION_INTERVAL,
                 index_file: Optional[str] = INDEX_NAME,
                 flow_root: Optional[str] = None,
                 prepare_hint: Optional[str] = None,
                 **kwargs) -> None:
        for key in ('data_prefix', 'label_map', 'img_suffix', 'seg_map_suffix'):
            if key in kwargs:
                raise TypeError(f'CityscapesVPSDataset sets {key} itself; remove it.')
        if labels not in ('converted', 'raw'):
            raise ValueError(f"CityscapesVPSDataset: labels must be 'converted' or 'raw', got "
                             f'{labels!r}.')
        if annotation_interval < 1 or clip_length % annotation_interval:
            raise ValueError('CityscapesVPSDataset: clip_length must be a multiple of '
                             f'annotation_interval, got {clip_length} and {annotation_interval}.')
        mode = kwargs.get('mode', 'train')
        self.with_labels = (mode == 'test') if with_labels is None else bool(with_labels)
        if mode == 'test' and not self.with_labels:
            raise ValueError("CityscapesVPSDataset: mode='test' evaluates the annotated frames; "
                             'with_labels must not be False.')
        self.split = split
        self.labels = labels
        self.sequence_root = sequence_root
        self.clip_length = int(clip_length)
        self.annotation_interval = int(annotation_interval)
        self.index_file = index_file
        root = data_root or ''
        self.label_dir = CONVERTED_LABEL_DIR if labels == 'converted' else RAW_LABEL_DIR
        if prepare_hint is None:
            seq_root = sequence_root or 'data/cityscapes/leftImg8bit_sequence/val'
            prepare_hint = ('Prepare Cityscapes-VPS as in docs/data.md ("VIPER and Cityscapes-VPS"): '
                            f'python tools/data/cityscapes_vps.py verify {root} --sequence-root '
                            f'{seq_root} && python tools/data/cityscapes_vps.py convert {root}'
                            + flow_command(root, split, flow_root, f'--sequence-root {seq_root}'))
        data_prefix = dict(
            img_path=osp.join(split, 'img'),
            seg_map_path=osp.join(split, self.label_dir) if self.with_labels else None,
            flow_path=flow_root)
        super().__init__(data_root=data_root, data_prefix=data_prefix, img_suffix='.png',
                         seg_map_suffix='.png',
                         label_map=cityscapes_label_map() if labels == 'raw' else None,
                         prepare_hint=prepare_hint, **kwargs)

    def _hint(self) -> str:
        return f' {self.prepare_hint}' if self.prepare_hint else ''

    def _load_listing(self) -> dict:
        """The split's index file when it is valid and knows the label dir, else a fresh scan."""
        root = self._data_root_given or ''
        expected = dict(format=INDEX_FORMAT, version=INDEX_VERSION, split=self.split,
                        clip_length=self.clip_length, annotation_interval=self.annotation_interval)
        label_dir = self.label_dir if self.with_labels else None
        return load_listing(
            self.index_file and osp.join(root, self.split, self.index_file), expected, label_dir,
            lambda: scan_vps_split(root, self.split, (label_dir,) if label_dir else (),
                                   self.clip_length, self.annotation_interval),
            'Cityscapes-VPS', f'python tools/data/cityscapes_vps.py index {root}')

    def _unlabelled_source(self) -> Tuple[str, bool]:
        """(directory, per_city) holding the unannotated frames: ``img_all`` or ``sequence_root``."""
        split_root = osp.dirname(self.data_prefix['img_path'])
        img_all = osp.join(split_root, 'img_all')
        if osp.isdir(img_all):
            return img_all, False
        if self.sequence_root is None:
            raise DataNotFoundError(
                f"Cityscapes-VPS: mode='train' (or num_frames > 1) on split {self.split!r} needs "
                f'all 30 frames of each clip, but {img_all!r} does not exist and sequence_root is '
                'not set. Set sequence_root to Cityscapes leftImg8bit_sequence/val (from '
                'leftImg8bit_sequence_trainvaltest.zip).' + self._hint())
        if not osp.isdir(self.sequence_root):
            raise DataNotFoundError(
                f'Cityscapes-VPS: sequence_root {self.sequence_root!r} does not exist; it must be '
                'Cityscapes leftImg8bit_sequence/val (from leftImg8bit_sequence_trainvaltest.zip).'
                + self._hint())
        return self.sequence_root, True

    def scan_clips(self) -> Dict[str, List[Dict[str, Any]]]:
        """Frames of every clip at their positions 0..29, annotated ones with labels."""
        img_root = self.data_prefix['img_path']
        seg_root = self.data_prefix.get('seg_map_path')
        flow_root = self.data_prefix.get('flow_path')
        listing = self._load_listing()
        if not listing['clips']:
            raise DataNotFoundError(
                f'Cityscapes-VPS: split {self.split!r} is empty: no '
                f'VVVV_FFFF_<city>_<seq>_<frame>_newImg8bit.png in {img_root!r}.' + self._hint())
        label_names = set(listing['labels'].get(self.label_dir, ())) if seg_root else set()
        # Test items of two-frame models (num_frames > 1) need the frames before the annotated ones.
        full_clips = self.mode == 'train' or self.num_frames > 1
        source_dir, per_city = self._unlabelled_source() if full_clips else ('', False)
        listed: Dict[str, set] = {}
        clips = {}
        for video, clip in listing['clips'].items():
            annotated = {int(p): name for p, name in clip['annotated']}
            if seg_root:
                missing = [label_name(n) for n in annotated.values()
                           if label_name(n) not in label_names]
                if len(missing) == len(annotated):
                    raise DataFormatError(
                        f'Cityscapes-VPS: clip {video} has {len(annotated)} annotated frames in '
                        f'{img_root!r} but no label in {seg_root!r} (e.g. {missing[0]!r}). '
                        + (f'Convert the labels: python tools/data/cityscapes_vps.py convert '
                           f'{self._data_root_given}' if self.labels == 'converted' else
                           'Create labelmap/ with the release\'s prepare_city_vps scripts.'))
                if missing:
                    raise DataNotFoundError(f'Cityscapes-VPS: labels {missing} of clip {video} are '
                                            f'missing from {seg_root!r}.' + self._hint())
            flow_names = (set(os.listdir(osp.join(flow_root, video)))
                          if flow_root and osp.isdir(osp.join(flow_root, video)) else set())
            positions = range(self.clip_length) if full_clips else sorted(annotated)
            frames = []
            for pos in positions:
                if pos in annotated:
                    name = annotated[pos]
                    img_path = resolve_inside(img_root, name,
                                              f'Cityscapes-VPS: clip {video} of the index')
                    seg_path = osp.join(seg_root, label_name(name)) if seg_root else None
                else:
                    name = sequence_frame_name(clip['city'], clip['seq'], clip['first_frame'] + pos)
                    directory = osp.join(source_dir, clip['city']) if per_city else source_dir
                    resolve_inside(source_dir, osp.join(clip['city'], name) if per_city else name,
                                   f'Cityscapes-VPS: clip {video} of the index')
                    if directory not in listed:
                        listed[directory] = (set(os.listdir(directory)) if osp.isdir(directory)
                                             else set())
                    if name not in listed[directory]:
                        raise DataNotFoundError(
                            f'Cityscapes-VPS: frame {pos} of clip {video} '
                            f'({osp.join(directory, name)!r}) does not exist; every clip needs all '
                            f'{self.clip_length} frames (Cityscapes leftImg8bit_sequence/val, or '
                            'img_all/ of val).' + self._hint())
                    img_path, seg_path = osp.join(directory, name), None
                stem = f'{video}_{pos:05d}'
                frames.append(make_frame(
                    pos, img_path, seg_path,
                    _find_flow(flow_root, video, stem + '_bw', flow_names),
                    _find_flow(flow_root, video, stem + '_fw', flow_names)))
            clips[video] = frames
        return clips
