"""Datasets named by a split list: the protocol of the Cityscapes-Seq benchmarks (DA-VSN, TPS).

Each line of a split list names one frame t that has a label (Cityscapes ``gtFine`` frame, VIPER
every-10th frame, SYNTHIA-Seq frame). A sample, here a *snippet*, holds the frames
``t + o`` for ``o`` in ``frame_offsets`` in time order: ``(-1, 0)`` gives (t-1, t) as DA-VSN
trains, ``(-2, -1, 0)`` gives (t-2, t-1, t) as TPS does for the target, ``(0,)`` the single frame
the image methods evaluate. Labels are attached to the frames of ``label_offsets`` (the originals
use only t's label). Each snippet is one clip of :class:`~uda_toolbox.datasets.ClipDataset`
(``clip_id`` = the stem of frame t), so pseudo-label rounds label exactly the frames training
reads.

Flow (``flow_root``), two formats (``flow_format``):

- ``'toolbox'``: ``<flow_root>/<frame path relative to the image directory, without extension>
  _bw.npy`` (flow from that frame to the previous one) and ``_fw.npy`` (to the next one), in the
  toolbox's convention (``uda_toolbox/utils/flow_io.py``), at any resolution (the pipeline's
  :class:`~uda_toolbox.datasets.video_benchmark_transforms.LoadResizedClipFlow` resizes it).
  ``tools/data/<dataset>.py compute_flow`` writes them.
- ``'original'``: the DA-VSN / TPS files ``*_int16_x10.npy`` (int16, pixels x 10, t -> t-1 on
  frame t's grid), one flat directory, named per dataset (``original_flow_name``). Only the
  backward flow exists in that format.

Everything a snippet needs is checked when the dataset is built (one error per kind of missing
file, naming the files and the command that checks the whole tree), before any training starts.
The lists of the benchmarks ship with the package (``uda_toolbox/datasets/splits/``).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from uda_toolbox.datasets.clip_dataset import ClipDataset, make_frame
from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError

SPLITS_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'splits')
# Entries of the shipped lists (the originals' counts; docs/data.md "Cityscapes-Seq benchmarks").
SPLIT_LIST_COUNTS = {'cityscapes_seq/train': 2975, 'cityscapes_seq/val': 500,
                     'viper_seq/train': 13367, 'synthia_seq/train': 849}
FLOW_FORMATS = ('toolbox', 'original')
ORIGINAL_FLOW_SUFFIX = '_int16_x10.npy'
MAX_LISTED = 5  # missing files named in one error message


def split_list_path(split_list: str) -> str:
    """Path of a split list: an existing file, or a shipped list name such as
    ``'cityscapes_seq/train'`` (``uda_toolbox/datasets/splits/<name>.txt``)."""
    if osp.isfile(split_list):
        return split_list
    shipped = osp.join(SPLITS_DIR, f'{split_list}.txt')
    if osp.isfile(shipped):
        return shipped
    raise DataNotFoundError(
        f'split list {split_list!r} is neither a file nor a shipped list; shipped lists: '
        f'{sorted(SPLIT_LIST_COUNTS)} (uda_toolbox/datasets/splits/).')


def read_split_list(split_list: str) -> List[str]:
    """The entries of a split list (one per non-blank line, surrounding spaces removed).

    Raises:
        DataNotFoundError: the file does not exist.
        DataFormatError: the list is empty or names an entry twice.
    """
    path = split_list_path(split_list)
    with open(path) as f:
        entries = [line.strip() for line in f if line.strip()]
    if not entries:
        raise DataFormatError(f'split list {path!r} is empty: an empty split. Restore the list (the '
                              'shipped lists are in uda_toolbox/datasets/splits/).')
    seen, twice = set(), []
    for entry in entries:
        if entry in seen:
            twice.append(entry)
        seen.add(entry)
    if twice:
        raise DataFormatError(f'split list {path!r} names {twice[:MAX_LISTED]} more than once; a '
                              'frame would be trained on or evaluated twice. Remove the repeats.')
    return entries


def toolbox_flow_path(flow_root: str, frame_relpath: str, step: int) -> Optional[str]:
    """``<flow_root>/<frame_relpath without extension>_bw.npy`` (``step`` -1: to the previous
    frame) or ``_fw.npy`` (+1: to the next); None for other steps (the files link neighbours)."""
    if abs(step) != 1:
        return None
    return osp.join(flow_root, f'{osp.splitext(frame_relpath)[0]}_{"bw" if step < 0 else "fw"}.npy')


class _Listing:
    """``os.listdir`` of each directory once: existence checks for thousands of files."""

    def __init__(self) -> None:
        self._names: Dict[str, set] = {}

    def exists(self, path: str) -> bool:
        directory, name = osp.split(path)
        if directory not in self._names:
            self._names[directory] = set(os.listdir(directory)) if osp.isdir(directory) else set()
        return name in self._names[directory]


class SnippetDataset(ClipDataset):
    """Snippets around the frames of a split list (module docstring; docs/data.md).

    Subclasses say how a list entry and a frame are named (:meth:`parse_entry`,
    :meth:`frame_relpath`, :meth:`label_relpath`, :meth:`original_flow_name`), set the class
    attributes below and pass the image and label directories.

    Item keys as :class:`ClipDataset`'s: ``clip_id``, ``frame_ids`` (t + offsets, time order),
    ``img_paths``, ``seg_map_paths`` (None for frames outside ``label_offsets``), ``flow_paths``
    (``flow_paths[k - 1]``: from frame k to frame k - 1 of the snippet, or None without
    ``flow_root``), ``flow_fw_paths`` (``flow_fw_paths[k]``: from frame k to frame k + 1 where that
    file exists, else None), ``label_map``, ``reduce_zero_label``.

    Args:
        data_root: The dataset's root.
        img_dir: Image directory, relative to ``data_root``.
        label_dir: Label directory, relative to ``data_root``; None: no labels.
        split: Split name; the default list is ``SPLIT_LIST.format(split=split)``.
        split_list: A list file or a shipped list name (:func:`split_list_path`); None: the
            shipped list of ``split``.
        frame_offsets: Offsets from t of the snippet's frames, strictly increasing, ending with 0.
        label_offsets: Offsets whose frames get their label (``(0,)``: t only, as the originals).
        flow_format: ``'toolbox'`` or ``'original'`` (module docstring); used with ``flow_root``.
        flow_root: Flow directory (relative to ``data_root`` unless absolute); None: no flow.
        prepare_hint: Appended to missing-data errors; None: the ``verify`` (and ``convert``,
            ``compute_flow``) commands of ``tools/data/<TOOL>.py``.
        **kwargs: :class:`ClipDataset` arguments (``mode``, ``pipeline``, ``pseudo_label_dir``,
            ...); not ``tau`` (use ``frame_offsets``) nor ``data_prefix``.
    """

    DATASET_NAME = 'SnippetDataset'  # in messages
    TOOL = 'cityscapes_seq'  # tools/data/<TOOL>.py prepares the dataset
    SPLIT_LIST = 'cityscapes_seq/{split}'  # the shipped list of a split
    CONVERTS = False  # whether the tool has a convert command the dataset's labels need

    def __init__(self,
                 data_root: str,
                 img_dir: str,
                 label_dir: Optional[str],
                 split: str = 'train',
                 split_list: Optional[str] = None,
                 frame_offsets: Sequence[int] = (-1, 0),
                 label_offsets: Sequence[int] = (0,),
                 flow_format: str = 'toolbox',
                 flow_root: Optional[str] = None,
                 prepare_hint: Optional[str] = None,
                 **kwargs) -> None:
        name = self.DATASET_NAME
        for key, fix in (('tau', 'set frame_offsets, e.g. (-2, -1, 0)'),
                         ('data_prefix', 'the dataset sets it from its own arguments')):
            if key in kwargs:
                raise TypeError(f'{name}: remove {key} ({fix}).')
        offsets = tuple(int(o) for o in frame_offsets)
        if not offsets or offsets[-1] != 0 or any(a >= b for a, b in zip(offsets, offsets[1:])):
            raise ValueError(f'{name}: frame_offsets must increase strictly and end with 0 '
                             f'(the listed frame t), e.g. (-1, 0); got {tuple(frame_offsets)}.')
        unknown = sorted(set(int(o) for o in label_offsets) - set(offsets))
        if unknown:
            raise ValueError(f'{name}: label_offsets {unknown} are not in frame_offsets {offsets}.')
        if flow_format not in FLOW_FORMATS:
            raise ValueError(f'{name}: flow_format must be one of {FLOW_FORMATS}, got '
                             f'{flow_format!r}.')
        if kwargs.get('mode', 'train') == 'test' and (label_dir is None or 0 not in label_offsets):
            raise ValueError(f"{name}: mode='test' evaluates the listed frames t; it needs their "
                             'labels (with_labels=True, 0 in label_offsets).')
        self.dataset_name = name
        self.split = split
        self.split_list = split_list or self.SPLIT_LIST.format(split=split)
        self.frame_offsets = offsets
        self.label_offsets = tuple(sorted(int(o) for o in label_offsets)) if label_dir else ()
        self.flow_format = flow_format
        data_prefix = dict(img_path=img_dir, seg_map_path=label_dir, flow_path=flow_root)
        super().__init__(data_root=data_root, data_prefix=data_prefix,
                         prepare_hint=prepare_hint or self._prepare_commands(data_root or '',
                                                                             flow_root),
                         **kwargs)

    @classmethod
    def refuse_own_keys(cls, kwargs: dict, keys: Sequence[str] = ('label_map', 'metainfo')) -> None:
        """TypeError for arguments a subclass sets itself (its class set decides them)."""
        for key in keys:
            if key in kwargs:
                raise TypeError(f'{cls.__name__} sets {key} itself; remove it.')

    @classmethod
    def check_labels_option(cls, labels: Optional[str]) -> None:
        """``labels`` of a source dataset: ``'converted'`` (by the tool) or None."""
        if labels not in ('converted', None):
            raise ValueError(f"{cls.__name__}: labels must be 'converted' (tools/data/{cls.TOOL}.py "
                             f'convert) or None, got {labels!r}.')

    def _prepare_commands(self, root: str, flow_root: Optional[str]) -> str:
        """The default prepare hint: the tool's commands (docs/data.md)."""
        tool = f'python tools/data/{self.TOOL}.py'
        hint = (f'Prepare {self.DATASET_NAME} as in docs/data.md ("Cityscapes-Seq benchmarks"): '
                f'{tool} verify {root}' + (f' && {tool} convert {root}' if self.CONVERTS else ''))
        if flow_root is not None:
            hint += (f'. The flow ({self.flow_format} format, flow_root={flow_root!r}): '
                     + (f'{tool} compute_flow {root}' if self.flow_format == 'toolbox'
                        else "the originals' *_int16_x10.npy files"))
        return hint + '.'

    # ------------------------------------------------------------ naming (subclasses)
    def parse_entry(self, entry: str, list_path: str) -> Tuple[str, int]:
        """``(clip_id, frame index t)`` of a list entry; DataFormatError naming the list if bad."""
        raise NotImplementedError

    def frame_relpath(self, clip_id: str, frame_idx: int) -> str:
        """Path of a frame relative to the image directory."""
        raise NotImplementedError

    def label_relpath(self, clip_id: str, frame_idx: int) -> str:
        """Path of a frame's label relative to the label directory."""
        raise NotImplementedError

    def original_flow_name(self, clip_id: str, frame_idx: int, other_idx: int) -> Optional[str]:
        """File name in ``flow_root`` of the originals' flow from a frame to ``other_idx``, or
        None if their naming has no file for that pair."""
        raise NotImplementedError

    # ------------------------------------------------------------ paths
    def flow_path(self, clip_id: str, frame_idx: int, other_idx: int) -> Optional[str]:
        """Where the flow from frame ``frame_idx`` to ``other_idx`` of a clip is read (or written
        by ``compute_flow``), in this dataset's ``flow_format``; None if the format has no file
        for that pair or there is no ``flow_root``."""
        flow_root = self.data_prefix.get('flow_path')
        if flow_root is None:
            return None
        if self.flow_format == 'original':
            name = self.original_flow_name(clip_id, frame_idx, other_idx)
            return None if name is None else osp.join(flow_root, name)
        return toolbox_flow_path(flow_root, self.frame_relpath(clip_id, frame_idx),
                                 other_idx - frame_idx)

    def _frame_record(self, clip_id: str, idx: int, labelled: bool, listing: _Listing) -> dict:
        seg_root = self.data_prefix.get('seg_map_path')
        flows = [self.flow_path(clip_id, idx, idx + step) for step in (-1, 1)]
        flows = [p if p is not None and listing.exists(p) else None for p in flows]
        return make_frame(idx, osp.join(self.data_prefix['img_path'],
                                        self.frame_relpath(clip_id, idx)),
                          osp.join(seg_root, self.label_relpath(clip_id, idx)) if labelled else None,
                          *flows)

    # ------------------------------------------------------------ loading
    def entries(self) -> List[Tuple[str, int]]:
        """``(clip_id, t)`` of every list entry, in list order."""
        path = split_list_path(self.split_list)
        return [self.parse_entry(entry, path) for entry in read_split_list(path)]

    def load_data_list(self) -> List[dict]:
        """One item per list entry; every file the items need must exist (else one error)."""
        self._check_paths()
        listing = _Listing()
        missing: Dict[str, List[str]] = {'frame': [], 'label': [], 'flow': []}
        self.clips, items = {}, []
        use_flow = self.data_prefix.get('flow_path') is not None
        for clip_id, t in self.entries():
            if clip_id in self.clips:
                raise DataFormatError(f'{self.dataset_name}: split list {self.split_list!r} names '
                                      f'frame {clip_id!r} twice; remove the repeat.')
            frames = [self._frame_record(clip_id, t + o, o in self.label_offsets, listing)
                      for o in self.frame_offsets]
            for frame in frames:
                if not listing.exists(frame['img_path']):
                    missing['frame'].append(frame['img_path'])
                if frame['seg_map_path'] and not listing.exists(frame['seg_map_path']):
                    missing['label'].append(frame['seg_map_path'])
            flow_paths, flow_fw_paths = [], []
            for prev, cur in zip(frames, frames[1:]):
                # The other direction (frame k -> k + 1, VST's refinement of t - 1): optional.
                forward = (self.flow_path(clip_id, prev['frame_idx'], cur['frame_idx'])
                           if use_flow else None)
                flow_fw_paths.append(forward if forward and listing.exists(forward) else None)
                path = (self.flow_path(clip_id, cur['frame_idx'], prev['frame_idx'])
                        if use_flow else None)
                if use_flow and (path is None or not listing.exists(path)):
                    missing['flow'].append(path or f'(no {self.flow_format} flow file links frames '
                                           f'{cur["frame_idx"]} and {prev["frame_idx"]} of '
                                           f'{clip_id})')
                flow_paths.append(path)
            self.clips[clip_id] = frames
            items.append(dict(clip_id=clip_id, frame_ids=[f['frame_idx'] for f in frames],
                              img_paths=[f['img_path'] for f in frames],
                              seg_map_paths=[f['seg_map_path'] for f in frames],
                              flow_paths=flow_paths, flow_fw_paths=flow_fw_paths,
                              label_map=self.label_map,
                              reduce_zero_label=False))
        self._raise_missing(missing)
        return items

    def _raise_missing(self, missing: Dict[str, List[str]]) -> None:
        parts = [f'{len(paths)} {kind} file(s) missing, e.g. {paths[:MAX_LISTED]}'
                 for kind, paths in missing.items() if paths]
        if parts:
            raise DataNotFoundError(
                f'{self.dataset_name}: the snippets of split list {self.split_list!r} need files '
                f'that do not exist: ' + '; '.join(parts) + '.'
                + (f' {self.prepare_hint}' if self.prepare_hint else ''))
