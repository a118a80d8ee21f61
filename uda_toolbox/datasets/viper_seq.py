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
from typing import Dict, Optional, Sequence, Tuple

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
        split: Split directory (the list covers ``train``).
        labels: ``'converted'`` (``<split>/cityscapes_seq_labels``) or None (no labels).
        img_suffix: Frame ending; None: the one the list entry names (``.jpg``).
        split_list: A list file or shipped name; None: ``'viper_seq/train'``.
        frame_offsets, label_offsets, flow_format, flow_root: :class:`SnippetDataset`.
            Originals' flow names: ``<SSS>_<t:05d><t-1:05d>_int16_x10.npy`` (no separator).
        prepare_hint: Appended to missing-data errors; defaults to the preparation commands.
        **kwargs: :class:`~uda_toolbox.datasets.ClipDataset` arguments.
    """

    TOOL = 'viper_seq'
    METAINFO = dict(VIPER_CITYSCAPES_SEQ_METAINFO)

    def __init__(self,
                 data_root: str = 'data/viper',
                 split: str = 'train',
                 labels: Optional[str] = 'converted',
                 img_suffix: Optional[str] = None,
                 split_list: Optional[str] = None,
                 frame_offsets: Sequence[int] = (-1, 0),
                 label_offsets: Sequence[int] = (0,),
                 flow_format: str = 'toolbox',
                 flow_root: Optional[str] = None,
                 prepare_hint: Optional[str] = None,
                 **kwargs) -> None:
        for key in ('label_map', 'metainfo'):
            if key in kwargs:
                raise TypeError(f'VIPERSeqDataset sets {key} itself; remove it.')
        if labels not in ('converted', None):
            raise ValueError("VIPERSeqDataset: labels must be 'converted' (tools/data/viper_seq.py "
                             f'convert) or None, got {labels!r}.')
        self.split = split
        self.labels = labels
        self.frame_suffix = img_suffix
        root = data_root or ''
        if prepare_hint is None:
            prepare_hint = ('Prepare VIPER as in docs/data.md ("Cityscapes-Seq benchmarks"): python '
                            f'tools/data/viper_seq.py verify {root} && python tools/data/viper_seq.py '
                            f'convert {root}')
        self._suffixes: Dict[str, str] = {}
        super().__init__(
            data_root=data_root, img_dir=osp.join(split, 'img'),
            label_dir=osp.join(split, CONVERTED_LABEL_DIR) if labels else None,
            split_list=split_list or f'viper_seq/{split}', frame_offsets=frame_offsets,
            label_offsets=label_offsets, flow_format=flow_format, flow_root=flow_root,
            dataset_name='VIPER-Seq', prepare_hint=prepare_hint, **kwargs)

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
