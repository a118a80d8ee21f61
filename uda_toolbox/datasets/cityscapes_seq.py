"""Cityscapes-Seq: the target domain of the DA-VSN / TPS benchmarks (docs/data.md).

Cityscapes' ``leftImg8bit_sequence`` (30-frame snippets around every ``gtFine`` frame) with the
``gtFine`` labels of the annotated frames, as the originals read them
(``davsn/dataset/CityscapesSeq.py``)::

    <data_root>/leftImg8bit_sequence/{train,val}/<city>/<city>_<seq>_<frame:06d>_leftImg8bit.png
    <data_root>/gtFine/{train,val}/<city>/<city>_<seq>_<frame:06d>_gtFine_labelIds.png

The split lists (shipped, ``uda_toolbox/datasets/splits/cityscapes_seq/``) name the annotated
frames, ``<city>/<city>_<seq>_<frame>_leftImg8bit.png``: 2975 train and 500 val. The annotated
frame is ``_000019`` for only 1877 train entries, so the frame number is always read from the
entry. A snippet's clip id is ``<city>_<seq>_<frame>`` (a sequence number alone is not unique:
some cities are long recordings with many annotated frames).

Labels: Cityscapes ``labelIds`` mapped on the fly to the benchmark's train ids
(``CITYSCAPES_SEQ_LABEL_MAPS``, the ``label2train`` of the originals'
``CityscapesSeq_list/info_{Viper,SynthiaSeq}.json``): for VIPER rider counts as person (VIPER
has no rider); for SYNTHIA-Seq rider is its own class. Every other id is ignored (255).
"""
import os.path as osp
import re
from typing import Dict, Optional, Tuple

from uda_toolbox.datasets.snippet_dataset import SnippetDataset
from uda_toolbox.registry import DATASETS
from uda_toolbox.utils.classes import (
    SYNTHIA_CITYSCAPES_SEQ_CLASSES,
    SYNTHIA_CITYSCAPES_SEQ_METAINFO,
    VIPER_CITYSCAPES_SEQ_CLASSES,
    VIPER_CITYSCAPES_SEQ_METAINFO,
)
from uda_toolbox.utils.errors import DataFormatError

# Cityscapes labelIds of the classes the benchmarks use (cityscapesScripts helpers/labels.py).
CITYSCAPES_LABEL_ID_NAMES = {
    7: 'road', 8: 'sidewalk', 11: 'building', 12: 'wall', 13: 'fence', 17: 'pole',
    19: 'traffic light', 20: 'traffic sign', 21: 'vegetation', 22: 'terrain', 23: 'sky',
    24: 'person', 25: 'rider', 26: 'car', 27: 'truck', 28: 'bus', 31: 'train', 32: 'motorcycle',
    33: 'bicycle'}
CITYSCAPES_NUM_LABEL_IDS = 34  # labelIds 0..33 ('license plate' -1 never occurs in the PNGs)
CITYSCAPES_NATIVE_SIZE = (1024, 2048)  # (H, W)
# Class sets: benchmark class list, and Cityscapes names merged into another class.
CLASS_SETS = {
    'viper': (VIPER_CITYSCAPES_SEQ_METAINFO, {'rider': 'person'}),
    'synthia': (SYNTHIA_CITYSCAPES_SEQ_METAINFO, {}),
}
_ENTRY_RE = re.compile(r'^(?P<city>[^/]+)/(?P=city)_(?P<seq>\d{6})_(?P<frame>\d{6})_leftImg8bit\.png$')


def cityscapes_seq_label_map(class_set: str) -> Dict[int, int]:
    """Cityscapes labelId -> train id of a benchmark's classes (``'viper'``: 15, ``'synthia'``:
    12); ids it does not list are ignored (255)."""
    if class_set not in CLASS_SETS:
        raise ValueError(f'class_set must be one of {sorted(CLASS_SETS)}, got {class_set!r}.')
    metainfo, merged = CLASS_SETS[class_set]
    classes = list(metainfo['classes'])
    label_map = {}
    for label_id, name in CITYSCAPES_LABEL_ID_NAMES.items():
        name = merged.get(name, name)
        if name in classes:
            label_map[label_id] = classes.index(name)
    return label_map


CITYSCAPES_SEQ_LABEL_MAPS = {name: cityscapes_seq_label_map(name) for name in CLASS_SETS}
assert len(set(CITYSCAPES_SEQ_LABEL_MAPS['viper'].values())) == len(VIPER_CITYSCAPES_SEQ_CLASSES)
assert len(set(CITYSCAPES_SEQ_LABEL_MAPS['synthia'].values())) == len(SYNTHIA_CITYSCAPES_SEQ_CLASSES)


def parse_cityscapes_entry(entry: str) -> Optional[Tuple[str, str, int]]:
    """``(city, seq, frame)`` of ``<city>/<city>_<seq>_<frame>_leftImg8bit.png``, or None."""
    match = _ENTRY_RE.match(entry)
    if match is None:
        return None
    return match.group('city'), match.group('seq'), int(match.group('frame'))


def split_clip_id(clip_id: str) -> Tuple[str, str, int]:
    """``'aachen_000000_000019'`` -> ``('aachen', '000000', 19)``."""
    city, seq, frame = clip_id.rsplit('_', 2)
    return city, seq, int(frame)


def frame_name(city: str, seq: str, frame: int, kind: str = 'leftImg8bit') -> str:
    """``<city>_<seq>_<frame:06d>_<kind>.png`` (``kind`` ``leftImg8bit`` or ``gtFine_labelIds``)."""
    return f'{city}_{seq}_{frame:06d}_{kind}.png'


@DATASETS.register_module()
class CityscapesSeqDataset(SnippetDataset):
    """Cityscapes-Seq snippets of one split (module docstring).

    Args:
        data_root: Cityscapes root holding ``leftImg8bit_sequence/`` and ``gtFine/``.
        split: ``'train'`` or ``'val'`` (shipped list ``cityscapes_seq/<split>``).
        class_set: ``'viper'`` (15 classes) or ``'synthia'`` (12 classes): the benchmark.
        with_labels: Attach gtFine labels; None: only in ``mode='test'`` (UDA methods never read
            the target's train labels; the oracle sets True).
        **kwargs: :class:`SnippetDataset` arguments (``split_list``, ``frame_offsets``,
            ``label_offsets``, ``flow_format``, ``flow_root``; originals' flow names
            ``<city>_<seq>_<t:06d>_<t-1:06d>_int16_x10.npy``) and :class:`ClipDataset` ones
            (``mode``, ``pipeline``, ``pseudo_label_dir``, ...).
    """

    DATASET_NAME = 'Cityscapes-Seq'
    TOOL = 'cityscapes_seq'
    SPLIT_LIST = 'cityscapes_seq/{split}'

    def __init__(self,
                 data_root: str = 'data/cityscapes',
                 split: str = 'train',
                 class_set: str = 'viper',
                 with_labels: Optional[bool] = None,
                 **kwargs) -> None:
        self.refuse_own_keys(kwargs)
        label_map = cityscapes_seq_label_map(class_set)  # validates class_set
        self.class_set = class_set
        self.with_labels = (kwargs.get('mode', 'train') == 'test') if with_labels is None \
            else bool(with_labels)
        super().__init__(
            data_root=data_root, img_dir=osp.join('leftImg8bit_sequence', split),
            label_dir=osp.join('gtFine', split) if self.with_labels else None, split=split,
            label_map=label_map, metainfo=dict(CLASS_SETS[class_set][0]), **kwargs)

    def parse_entry(self, entry: str, list_path: str) -> Tuple[str, int]:
        fields = parse_cityscapes_entry(entry)
        if fields is None:
            raise DataFormatError(
                f'Cityscapes-Seq: split list {list_path!r} has the entry {entry!r}; entries are '
                '<city>/<city>_<seq>_<frame>_leftImg8bit.png (6-digit seq and frame). Fix the list.')
        city, seq, frame = fields
        return f'{city}_{seq}_{frame:06d}', frame

    def frame_relpath(self, clip_id: str, frame_idx: int) -> str:
        city, seq, _ = split_clip_id(clip_id)
        return osp.join(city, frame_name(city, seq, frame_idx))

    def label_relpath(self, clip_id: str, frame_idx: int) -> str:
        city, seq, _ = split_clip_id(clip_id)
        return osp.join(city, frame_name(city, seq, frame_idx, 'gtFine_labelIds'))

    def original_flow_name(self, clip_id: str, frame_idx: int, other_idx: int) -> Optional[str]:
        # DA-VSN / TPS: <city>_<seq>_<t>_<t-1>_int16_x10.npy (peers_davsn_tps.md section 4.2).
        city, seq, _ = split_clip_id(clip_id)
        return f'{city}_{seq}_{frame_idx:06d}_{other_idx:06d}_int16_x10.npy'
