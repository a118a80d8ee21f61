"""SYNTHIA-Seq (SEQS-04-DAWN): the source of SYNTHIA-Seq -> Cityscapes-Seq (docs/data.md).

The one sequence the benchmark uses (DA-VSN issue #4: 850 frames), its left stereo camera facing
forward (``Stereo_Left/Omni_F``, DA-VSN issue #3), as the release extracts::

    <data_root>/RGB/Stereo_Left/Omni_F/NNNNNN.png                 frames, 1280x760
    <data_root>/GT/LABELS/Stereo_Left/Omni_F/NNNNNN.png           class id in the first (R) channel
                                                                  of a multi-channel PNG
    <data_root>/cityscapes_seq_labels/NNNNNN.png                  written by
                                                                  tools/data/synthia_seq.py convert

``<data_root>`` is the ``SEQS-04-DAWN`` directory. DA-VSN and TPS read copies named ``rgb/`` and
``label/``; those work too (``img_dir='rgb'``, and ``convert --label-dir label``). The shipped list
(``uda_toolbox/datasets/splits/synthia_seq/train.txt``) names frames ``000001.png`` ... ``000849.png``
(frame 000000 has no previous frame). A snippet's clip id is the listed frame's ``NNNNNN``.

The originals cut the **bottom 120 rows** of every frame and label after loading
(``davsn/dataset/SynthiaSeq.py``): the pipeline does it
(:class:`~uda_toolbox.datasets.video_benchmark_transforms.ClipCropMargins`,
``bottom=SYNTHIA_SEQ_BOTTOM_CROP``), and flow is computed on the cut frames (both the originals'
files and ``tools/data/synthia_seq.py compute_flow``). Labels: the 12 classes of the benchmark,
converted once by the tool (``uda_toolbox/data_prep/synthia_seq.py``).
"""
import os.path as osp
import re
from typing import Optional, Tuple

from uda_toolbox.datasets.snippet_dataset import SnippetDataset
from uda_toolbox.registry import DATASETS
from uda_toolbox.utils.classes import SYNTHIA_CITYSCAPES_SEQ_METAINFO
from uda_toolbox.utils.errors import DataFormatError

SYNTHIA_SEQ_NATIVE_SIZE = (760, 1280)  # (H, W)
SYNTHIA_SEQ_BOTTOM_CROP = 120  # rows cut off the bottom (davsn/dataset/SynthiaSeq.py)
RELEASE_IMG_DIR = osp.join('RGB', 'Stereo_Left', 'Omni_F')
RELEASE_LABEL_DIR = osp.join('GT', 'LABELS', 'Stereo_Left', 'Omni_F')
CONVERTED_LABEL_DIR = 'cityscapes_seq_labels'
_ENTRY_RE = re.compile(r'^(?P<frame>\d{6})\.png$')


def parse_synthia_entry(entry: str) -> Optional[int]:
    """Frame number of ``NNNNNN.png``, or None."""
    match = _ENTRY_RE.match(entry)
    return None if match is None else int(match.group('frame'))


@DATASETS.register_module()
class SynthiaSeqDataset(SnippetDataset):
    """SYNTHIA-Seq snippets (module docstring).

    Args:
        data_root: The ``SEQS-04-DAWN`` directory.
        img_dir: Frame directory relative to ``data_root``; None: the release's
            ``RGB/Stereo_Left/Omni_F``, or ``rgb`` (the originals' copy) when only that exists.
        labels: ``'converted'`` (``cityscapes_seq_labels/``) or None (no labels).
        **kwargs: :class:`SnippetDataset` arguments (``split_list`` (default the shipped
            ``synthia_seq/train``), ``frame_offsets``, ``label_offsets``, ``flow_format``,
            ``flow_root``; originals' flow names ``<t:06d>_int16_x10.npy``, from t to t - 1 only)
            and :class:`ClipDataset` ones.
    """

    DATASET_NAME = 'SYNTHIA-Seq'
    TOOL = 'synthia_seq'
    SPLIT_LIST = 'synthia_seq/{split}'
    CONVERTS = True
    METAINFO = dict(SYNTHIA_CITYSCAPES_SEQ_METAINFO)

    def __init__(self,
                 data_root: str = 'data/SynthiaSeq/SEQS-04-DAWN',
                 img_dir: Optional[str] = None,
                 labels: Optional[str] = 'converted',
                 **kwargs) -> None:
        self.refuse_own_keys(kwargs)
        self.check_labels_option(labels)
        root = data_root or ''
        if img_dir is None:
            img_dir = ('rgb' if not osp.isdir(osp.join(root, RELEASE_IMG_DIR))
                       and osp.isdir(osp.join(root, 'rgb')) else RELEASE_IMG_DIR)
        self.labels = labels
        super().__init__(data_root=data_root, img_dir=img_dir,
                         label_dir=CONVERTED_LABEL_DIR if labels else None, **kwargs)

    def parse_entry(self, entry: str, list_path: str) -> Tuple[str, int]:
        frame = parse_synthia_entry(entry)
        if frame is None:
            raise DataFormatError(f'SYNTHIA-Seq: split list {list_path!r} has the entry {entry!r}; '
                                  'entries are NNNNNN.png (6 digits). Fix the list.')
        return f'{frame:06d}', frame

    def frame_relpath(self, clip_id: str, frame_idx: int) -> str:
        return f'{frame_idx:06d}.png'

    def label_relpath(self, clip_id: str, frame_idx: int) -> str:
        return f'{frame_idx:06d}.png'

    def original_flow_name(self, clip_id: str, frame_idx: int, other_idx: int) -> Optional[str]:
        # DA-VSN / TPS: <t:06d>_int16_x10.npy, the flow from t to t - 1 (section 4.2).
        return f'{frame_idx:06d}_int16_x10.npy' if other_idx == frame_idx - 1 else None
