"""VIPER in the Cityscapes-Seq protocol: the source of VIPER -> Cityscapes-Seq (docs/data.md).

The official VIPER layout (``uda_toolbox/datasets/viper.py``), read through the originals' list
of every 10th frame (shipped, ``uda_toolbox/datasets/splits/viper_seq/train.txt``: 13,367
entries ``SSS/SSS_FFFFF.jpg``, every labelled frame of train sequences 001-077 except frame 0,
which has no previous frame)::

    <data_root>/train/img/SSS/SSS_FFFFF.jpg                       frames, 1920x1080
    <data_root>/train/cls/SSS/SSS_FFFFF.png                       VIPER ids 0..31 (every 10th frame)
    <data_root>/train/cityscapes_seq_labels/SSS/SSS_FFFFF.png     written by
                                                                  tools/data/viper_seq.py convert

Labels: the 15 classes of the benchmark (``VIPER_TO_CITYSCAPES_SEQ`` in
``uda_toolbox/data_prep/viper_seq.py``, the mapping of DA-VSN's ``davsn/dataset/Viper.py``: no pole,
bicycle from VIPER's bicycle) with the ego vehicle removed (the car component under the
bottom-centre pixel, as DA-VSN does), converted once by the tool. A snippet's clip id is
``SSS_FFFFF`` of the listed frame.
"""
import os.path as osp
import re
from typing import Dict, Optional, Tuple

from uda_toolbox.datasets.snippet_dataset import SnippetDataset
from uda_toolbox.registry import DATASETS
from uda_toolbox.utils.classes import VIPER_CITYSCAPES_SEQ_METAINFO
from uda_toolbox.utils.errors import DataFormatError

VIPER_NATIVE_SIZE = (1080, 1920)  # (H, W)
CONVERTED_LABEL_DIR = 'cityscapes_seq_labels'
_ENTRY_RE = re.compile(r'^(?P<seq>\d{3})/(?P=seq)_(?P<frame>\d{5})(?P<suffix>\.(jpg|png))$')


def parse_viper_entry(entry: str) -> Optional[Tuple[str, int, str]]:
    """``(SSS, frame, suffix)`` of ``SSS/SSS_FFFFF.jpg`` (or ``.png``), or None."""
    match = _ENTRY_RE.match(entry)
    if match is None:
        return None
    return match.group('seq'), int(match.group('frame')), match.group('suffix')


@DATASETS.register_module()
class VIPERSeqDataset(SnippetDataset):
    """VIPER snippets of the Cityscapes-Seq protocol (module docstring).

    Args:
        data_root: VIPER root holding ``train/``.
        split: Split directory (the shipped list ``viper_seq/train`` covers ``train``).
        labels: ``'converted'`` (``<split>/cityscapes_seq_labels``) or None (no labels).
        img_suffix: Frame ending; None: the one the list entry names (``.jpg``).
        **kwargs: :class:`SnippetDataset` arguments (``split_list``, ``frame_offsets``,
            ``label_offsets``, ``flow_format``, ``flow_root``; originals' flow names
            ``<SSS>_<t:05d><t-1:05d>_int16_x10.npy``, no separator) and :class:`ClipDataset` ones.
    """

    DATASET_NAME = 'VIPER-Seq'
    TOOL = 'viper_seq'
    SPLIT_LIST = 'viper_seq/{split}'
    CONVERTS = True
    METAINFO = dict(VIPER_CITYSCAPES_SEQ_METAINFO)

    def __init__(self,
                 data_root: str = 'data/viper',
                 split: str = 'train',
                 labels: Optional[str] = 'converted',
                 img_suffix: Optional[str] = None,
                 **kwargs) -> None:
        self.refuse_own_keys(kwargs)
        self.check_labels_option(labels)
        self.labels = labels
        self.frame_suffix = img_suffix
        self._suffixes: Dict[str, str] = {}
        super().__init__(
            data_root=data_root, img_dir=osp.join(split, 'img'),
            label_dir=osp.join(split, CONVERTED_LABEL_DIR) if labels else None, split=split,
            **kwargs)

    def parse_entry(self, entry: str, list_path: str) -> Tuple[str, int]:
        fields = parse_viper_entry(entry)
        if fields is None:
            raise DataFormatError(f'VIPER-Seq: split list {list_path!r} has the entry {entry!r}; '
                                  'entries are SSS/SSS_FFFFF.jpg. Fix the list.')
        seq, frame, suffix = fields
        clip_id = f'{seq}_{frame:05d}'
        self._suffixes[clip_id] = self.frame_suffix or suffix
        return clip_id, frame

    def frame_relpath(self, clip_id: str, frame_idx: int) -> str:
        seq = clip_id.split('_')[0]
        return osp.join(seq, f'{seq}_{frame_idx:05d}{self._suffixes.get(clip_id, ".jpg")}')

    def label_relpath(self, clip_id: str, frame_idx: int) -> str:
        seq = clip_id.split('_')[0]
        return osp.join(seq, f'{seq}_{frame_idx:05d}.png')

    def original_flow_name(self, clip_id: str, frame_idx: int, other_idx: int) -> Optional[str]:
        # DA-VSN / TPS: <SSS>_<t:05d><t-1:05d>_int16_x10.npy (peers_davsn_tps.md section 4.2).
        return f'{clip_id.split("_")[0]}_{frame_idx:05d}{other_idx:05d}_int16_x10.npy'
