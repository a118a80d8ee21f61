"""Video clip dataset: frame pairs for training, annotated frames for testing.

On-disk layout (see docs / interfaces.md)::

    <img_path>/<clip>/<clip>_<FFFFF><img_suffix>         frames
    <seg_map_path>/<clip>/<clip>_<FFFFF><seg_map_suffix>  labels (annotated frames only)
    <flow_path>/<clip>/<clip>_<FFFFF>_bw.npy              flow from frame F to F-1
    <flow_path>/<clip>/<clip>_<FFFFF>_fw.npy              flow from frame F to F+1

Any per-clip file name ending with ``_<digits><img_suffix>`` is accepted; the
digits are the frame index. Labels and flows are paired with frames by name.
A subclass for another layout (e.g. Cityscapes-VPS, one flat directory) only
overrides :meth:`ClipDataset.scan_clips`.
"""
import copy
import os
import os.path as osp
import re
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from mmengine.dataset import BaseDataset

from uda_toolbox.registry import DATASETS
from uda_toolbox.utils.classes import IGNORE_INDEX, VIDEO_UDA_METAINFO
from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError
from uda_toolbox.utils.flow_io import ORIGINAL_FLOW_NAMINGS, original_flow_name
from uda_toolbox.utils.io import path_problem
from uda_toolbox.utils.rounds import label_relpath, read_current, soft_label_path

# Flow file endings, tried in this order: numpy (our generator) then Middlebury.
FLOW_SUFFIXES = ('.npy', '.flo')
_FRAME_RE = re.compile(r'^(?P<prefix>.+)_(?P<frame>\d+)$')


def natural_key(name: str) -> List[Union[int, str]]:
    """Sort key that orders ``'2'`` before ``'10'`` (digit runs compare as ints)."""
    return [int(tok) if tok.isdigit() else tok for tok in re.split(r'(\d+)', name)]


def parse_frame_index(stem: str) -> Optional[int]:
    """Frame index of a file stem ``<anything>_<digits>``, or None if it has none."""
    match = _FRAME_RE.match(stem)
    return int(match.group('frame')) if match else None


def make_frame(frame_idx: int, img_path: str, seg_map_path: Optional[str] = None,
               flow_bw_path: Optional[str] = None,
               flow_fw_path: Optional[str] = None) -> Dict[str, Any]:
    """One frame record of :attr:`ClipDataset.clips` (the format ``scan_clips`` returns)."""
    return dict(frame_idx=int(frame_idx), img_path=img_path, seg_map_path=seg_map_path,
                flow_bw_path=flow_bw_path, flow_fw_path=flow_fw_path)


def flow_command(root: str, split: str, flow_root: Optional[str], options: str) -> str:
    """`` && python tools/data/compute_flow.py ...`` writing a dataset's flow cache ``flow_root``
    (relative to ``root`` unless absolute), for preparation hints; '' without a flow cache."""
    if not flow_root:
        return ''
    out = '' if flow_root == osp.join(split, 'flow') else f' --out {osp.join(root, flow_root)}'
    return f' && python tools/data/compute_flow.py {osp.join(root, split)} {options}{out}'


@DATASETS.register_module()
class ClipDataset(BaseDataset):
    """Frames of video clips, as frame pairs (train) or single annotated frames (test).

    ``mode='train'``: one item per frame ``t`` whose frame ``t - tau`` exists in
    the same clip, holding the pair ``(t - tau, t)`` in time order (T = 2; ``num_frames``
    frames ``t - (num_frames - 1) tau, ..., t`` in general).
    ``mode='test'``: one item per annotated frame (T = 1), in (clip, frame) order; with
    ``num_frames=2`` the item also carries frame ``t - tau`` before it (two-frame models such as
    DA-VSN and TPS predict from the pair), and an annotated frame without it is an error.

    Item (``data_info``) keys: ``clip_id`` (str), ``frame_ids`` (list[int]),
    ``img_paths`` (list[str]), ``seg_map_paths`` (list[str | None]),
    ``flow_paths`` (list[str | None], T - 1 entries: ``flow_paths[k - 1]`` is the
    ``_bw`` flow of sample frame ``k`` (from frame k to frame k - 1) when
    ``tau == 1`` and the file exists, else None), ``flow_fw_paths`` (the same for the
    ``_fw`` flow of sample frame ``k - 1``, from frame k - 1 to frame k), ``label_map``,
    ``reduce_zero_label`` (always False). ``get_data_info`` adds ``sample_idx``
    and ``num_classes``.

    Args:
        data_root: Root joined to relative ``data_prefix`` entries.
        data_prefix: ``dict(img_path=..., seg_map_path=None|..., flow_path=None|...)``.
        img_suffix: Frame file ending.
        seg_map_suffix: Label file ending.
        mode: ``'train'`` (frame pairs) or ``'test'`` (annotated frames).
        tau: Temporal distance of a training pair.
        num_frames: Frames per item, ``tau`` apart and ending at frame t: 2 (train) and 1 (test)
            by default; 3 gives TPS's (t-2, t-1, t); 2 in test mode carries t-1 with each
            annotated frame.
        flow_naming: Where the ``_bw`` flow of a frame is found: None, the toolbox's layout
            ``<flow_path>/<clip>/<frame stem>_bw.npy`` (or ``.flo``); ``'cityscapes'``,
            ``'viper'`` or ``'synthia'``: DA-VSN / TPS's flat directory of
            ``*_int16_x10.npy`` files (``uda_toolbox.utils.flow_io.original_flow_name``),
            ``flow_path`` being that directory.
        labelled_only: In train mode, keep only pairs whose last frame has a label.
        label_map: Raw label id -> train id; ids it does not list become 255.
        metainfo: Classes/palette; defaults to ``VIDEO_UDA_METAINFO``.
        pipeline: Transforms (configs or callables).
        test_mode, serialize_data, lazy_init, filter_cfg, indices, max_refetch:
            As in :class:`mmengine.dataset.BaseDataset`.
        prepare_hint: Sentence appended to missing-path errors, e.g. how to
            generate or download the data.
        pseudo_label_dir: Self-training (train mode only): read every frame's label from
            ``<pseudo_label_dir>/<round>/<clip>/<frame stem>.png`` instead of
            ``seg_map_path``, where ``<round>`` is the name in the file
            ``<pseudo_label_dir>/CURRENT``, read again for every item so that forked
            dataloader workers follow the rounds the ``PseudoLabelHook`` publishes. Before
            the first round (no CURRENT) every label is 255 (ignored). The files are
            train ids already, so ``label_map`` is not applied to them. Layout:
            ``uda_toolbox/utils/rounds.py``, docs/pseudo_labels.md.
    """

    METAINFO: dict = copy.deepcopy(VIDEO_UDA_METAINFO)

    def __init__(self,
                 data_root: Optional[str] = '',
                 data_prefix: Optional[dict] = None,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 mode: str = 'train',
                 tau: int = 1,
                 num_frames: Optional[int] = None,
                 flow_naming: Optional[str] = None,
                 labelled_only: bool = False,
                 label_map: Optional[Dict[int, int]] = None,
                 metainfo: Optional[dict] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 serialize_data: bool = True,
                 lazy_init: bool = False,
                 filter_cfg: Optional[dict] = None,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 max_refetch: int = 1000,
                 prepare_hint: Optional[str] = None,
                 pseudo_label_dir: Optional[str] = None,
                 allow_incomplete: bool = False) -> None:
        if mode not in ('train', 'test'):
            raise ValueError(f"ClipDataset: mode must be 'train' or 'test', got {mode!r}.")
        if pseudo_label_dir is not None and mode != 'train':
            raise ValueError("ClipDataset: pseudo_label_dir is for mode='train' (self-training); "
                             'evaluation reads ground truth.')
        self.pseudo_label_dir = pseudo_label_dir
        self.allow_incomplete = allow_incomplete
        self.dropped_pairs: List[Tuple[str, int]] = []
        if int(tau) != tau or tau < 1:
            raise ValueError(f'ClipDataset: tau must be an integer >= 1, got {tau!r}.')
        num_frames = (2 if mode == 'train' else 1) if num_frames is None else num_frames
        if int(num_frames) != num_frames or num_frames < (2 if mode == 'train' else 1):
            raise ValueError(f'ClipDataset: num_frames must be an integer >= '
                             f'{2 if mode == "train" else 1} in mode={mode!r}, got {num_frames!r}.')
        if flow_naming not in (None, *ORIGINAL_FLOW_NAMINGS):
            raise ValueError(f'ClipDataset: flow_naming must be None or one of '
                             f'{ORIGINAL_FLOW_NAMINGS}, got {flow_naming!r}.')
        self.num_frames = int(num_frames)
        self.flow_naming = flow_naming
        data_prefix = dict(img_path='') if data_prefix is None else dict(data_prefix)
        if not data_prefix.get('img_path') and not data_root:
            raise ValueError('ClipDataset: set data_root and/or data_prefix.img_path '
                             '(the directory holding one sub-directory per clip).')
        unknown = set(data_prefix) - {'img_path', 'seg_map_path', 'flow_path'}
        if unknown:
            raise KeyError(f'ClipDataset: unknown data_prefix keys {sorted(unknown)}; '
                           'allowed: img_path, seg_map_path, flow_path.')
        if labelled_only and not data_prefix.get('seg_map_path'):
            raise ValueError('ClipDataset: labelled_only=True needs data_prefix.seg_map_path.')
        self.img_suffix = img_suffix
        self.seg_map_suffix = seg_map_suffix
        self.mode = mode
        self.tau = int(tau)
        self.labelled_only = labelled_only
        self.prepare_hint = prepare_hint
        classes = (metainfo or {}).get('classes', self.METAINFO['classes'])
        self.label_map = self._check_label_map(label_map, len(classes))
        self.clips: Dict[str, List[Dict[str, Any]]] = {}
        self._data_root_given = data_root or ''
        # mmengine joins every prefix with data_root and rejects None, so unset
        # (None) prefixes are dropped here and read back with ``.get``.
        if data_prefix.get('img_path') is None:
            data_prefix['img_path'] = ''  # the clips sit directly in data_root
        data_prefix = {k: v for k, v in data_prefix.items() if v is not None}
        super().__init__(ann_file='', metainfo=metainfo, data_root=data_root or '',
                         data_prefix=data_prefix, filter_cfg=filter_cfg, indices=indices,
                         serialize_data=serialize_data, pipeline=list(pipeline),
                         test_mode=test_mode, lazy_init=lazy_init, max_refetch=max_refetch)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _check_label_map(label_map: Optional[Dict[int, int]],
                         num_classes: int) -> Optional[Dict[int, int]]:
        """Validate ``label_map`` (raw id -> train id in [0, num_classes) or 255)."""
        if label_map is None:
            return None
        clean = {}
        for raw, train in dict(label_map).items():
            raw, train = int(raw), int(train)
            if raw < 0 or not (0 <= train < num_classes or train == IGNORE_INDEX):
                raise ValueError(
                    f'ClipDataset: label_map entry {raw} -> {train} is invalid: raw ids must be '
                    f'>= 0 and train ids in [0, {num_classes}) or {IGNORE_INDEX}.')
            clean[raw] = train
        return clean

    def _missing(self, what: str, path: str) -> DataNotFoundError:
        """A DataNotFoundError naming ``path`` and the prepare hint."""
        msg = f'ClipDataset: {what} {path!r} {path_problem(path)}.'
        if self.prepare_hint:
            msg += f' {self.prepare_hint}'
        return DataNotFoundError(msg)

    def _check_paths(self) -> None:
        """Fail early, naming the path, when the data root or a prefix dir is missing."""
        if self._data_root_given and not osp.isdir(self._data_root_given):
            raise self._missing('data_root', self._data_root_given)
        names = dict(img_path='image directory (data_prefix.img_path)',
                     seg_map_path='label directory (data_prefix.seg_map_path)',
                     flow_path='flow directory (data_prefix.flow_path)')
        for key, what in names.items():
            path = self.data_prefix.get(key)
            if path is not None and not osp.isdir(path):
                raise self._missing(what, path)

    def _check_label_dirs(self, seg_root: Optional[str], clip_ids: List[str]) -> None:
        """Fail when some clips have a label directory and others not (a partial copy).

        Labels are found per clip directory, so a missing one would silently make its clip
        unlabelled (ignored in training, absent from evaluation).
        """
        if not seg_root:
            return
        missing = [c for c in clip_ids if not osp.isdir(osp.join(seg_root, c))]
        if missing and len(missing) < len(clip_ids):
            raise DataNotFoundError(
                f'ClipDataset: {len(missing)} clip(s) under {self.data_prefix["img_path"]!r} have no '
                f'label directory in {seg_root!r} (data_prefix.seg_map_path), e.g. '
                f'{osp.join(seg_root, missing[0])!r}; missing: {missing[:5]}. Restore the labels '
                'or move those clips out of the image directory.'
                + (f' {self.prepare_hint}' if self.prepare_hint else ''))

    # ----------------------------------------------------------------- scanning
    def scan_clips(self) -> Dict[str, List[Dict[str, Any]]]:
        """Find every frame of every clip, with its label and flow files.

        Override this (only this) for another on-disk layout.

        Returns:
            clip_id -> list of frame records built with :func:`make_frame`
            (keys ``frame_idx``, ``img_path``, ``seg_map_path``, ``flow_bw_path``,
            ``flow_fw_path``; missing files are None). Order does not matter:
            :meth:`load_data_list` sorts clips naturally and frames by index.
        """
        img_root = self.data_prefix['img_path']
        seg_root = self.data_prefix.get('seg_map_path')
        flow_root = self.data_prefix.get('flow_path')
        clip_ids = sorted((e.name for e in os.scandir(img_root)
                           if e.is_dir() and not e.name.startswith('.')), key=natural_key)
        if not clip_ids:
            raise DataNotFoundError(
                f'ClipDataset: no clip directories in {img_root!r}; expected '
                f'<img_path>/<clip>/<clip>_<FFFFF>{self.img_suffix}.'
                + (f' {self.prepare_hint}' if self.prepare_hint else ''))
        self._check_label_dirs(seg_root, clip_ids)
        clips = {}
        for clip_id in clip_ids:
            seg_files = _list_files(osp.join(seg_root, clip_id)) if seg_root else set()
            flow_files = _list_files(osp.join(flow_root, clip_id)) if flow_root else set()
            frames = []
            for name in sorted(os.listdir(osp.join(img_root, clip_id))):
                # Hidden names include half-written temporaries of atomic writers.
                if name.startswith('.') or not name.endswith(self.img_suffix):
                    continue
                stem = name[:len(name) - len(self.img_suffix)]
                frame_idx = parse_frame_index(stem)
                if frame_idx is None:
                    warnings.warn(f'ClipDataset: skipping {osp.join(img_root, clip_id, name)}: '
                                  'its name does not end with _<frame index>'
                                  f'{self.img_suffix}.', stacklevel=2)
                    continue
                seg_name = stem + self.seg_map_suffix
                frames.append(make_frame(
                    frame_idx, osp.join(img_root, clip_id, name),
                    osp.join(seg_root, clip_id, seg_name) if seg_name in seg_files else None,
                    _find_flow(flow_root, clip_id, stem + '_bw', flow_files),
                    _find_flow(flow_root, clip_id, stem + '_fw', flow_files)))
            clips[clip_id] = frames
            # labels whose frame is gone: an annotated frame missing from the evaluation set
            stems = {osp.basename(f['img_path'])[:-len(self.img_suffix)] for f in frames}
            self._labels_without_frame.extend(
                (clip_id, osp.join(seg_root, clip_id, name)) for name in sorted(seg_files)
                if name.endswith(self.seg_map_suffix) and not name.startswith('.')
                and name[:len(name) - len(self.seg_map_suffix)] not in stems)
        return clips

    def load_data_list(self) -> List[dict]:
        """Scan the clips and build the items of :attr:`mode` (see the class doc)."""
        self._check_paths()
        clips = {}
        self._labels_without_frame: List[Tuple[str, str]] = []
        scanned = self.scan_clips()
        for clip_id in sorted(scanned, key=natural_key):
            frames = sorted(scanned[clip_id], key=lambda f: f['frame_idx'])
            seen = set()
            for frame in frames:
                if frame['frame_idx'] in seen:
                    raise DataFormatError(
                        f'ClipDataset: clip {clip_id!r} has frame index {frame["frame_idx"]} '
                        f'twice (e.g. {frame["img_path"]!r}); remove the duplicate file.')
                seen.add(frame['frame_idx'])
            if not frames:
                warnings.warn(f'ClipDataset: clip {clip_id!r} has no frame ending with '
                              f'{self.img_suffix!r}; skipped.', stacklevel=2)
                continue
            clips[clip_id] = frames
        if self.flow_naming is not None:
            self._find_original_flows(clips)
        self.clips = clips
        if self.mode == 'train':
            return self._train_items()
        return self._test_items()

    def _find_original_flows(self, clips: Dict[str, List[Dict[str, Any]]]) -> None:
        """Set each frame's ``flow_bw_path`` to its DA-VSN / TPS file of ``flow_naming`` (t -> t-1)."""
        flow_root = self.data_prefix.get('flow_path')
        if flow_root is None:
            raise ValueError(f'ClipDataset: flow_naming={self.flow_naming!r} needs '
                             'data_prefix.flow_path (the directory of the *_int16_x10.npy files).')
        names = _list_files(flow_root)
        for frames in clips.values():
            by_idx = {f['frame_idx']: f for f in frames}
            for frame in frames:
                prev = by_idx.get(frame['frame_idx'] - 1)
                name = prev and original_flow_name(self.flow_naming, frame['img_path'],
                                                   prev['img_path'])
                frame['flow_bw_path'] = osp.join(flow_root, name) if name in names else None

    def _base_item(self, clip_id: str, frames: List[Dict[str, Any]]) -> dict:
        """The data_info of ``frames`` (in time order) of one clip."""
        flow_paths = [f['flow_bw_path'] if self.tau == 1 else None for f in frames[1:]]
        flow_fw_paths = [f['flow_fw_path'] if self.tau == 1 else None for f in frames[:-1]]
        return dict(clip_id=clip_id,
                    frame_ids=[f['frame_idx'] for f in frames],
                    img_paths=[f['img_path'] for f in frames],
                    seg_map_paths=[f['seg_map_path'] for f in frames],
                    flow_paths=flow_paths,
                    flow_fw_paths=flow_fw_paths,
                    label_map=self.label_map,
                    reduce_zero_label=False)

    def _frame_chain(self, by_idx: Dict[int, Dict[str, Any]], frame: Dict[str, Any]
                     ) -> Optional[List[Dict[str, Any]]]:
        """Frames ``t - (num_frames - 1) tau, ..., t`` of ``frame`` (time order), None if one is missing."""
        chain = [by_idx.get(frame['frame_idx'] - k * self.tau)
                 for k in range(self.num_frames - 1, -1, -1)]
        return None if any(f is None for f in chain) else chain

    def _train_items(self) -> List[dict]:
        """One item per frame t whose frames t - tau, ... exist: (t - tau, t) by default."""
        items = []
        span = (self.num_frames - 1) * self.tau
        self.dropped_pairs = []
        for clip_id, frames in self.clips.items():
            by_idx = {f['frame_idx']: f for f in frames}
            clip_items = []
            # items (t - span, ..., t) lost because a frame between the clip's first and last is gone
            self.dropped_pairs.extend(
                (clip_id, t) for t in range(frames[0]['frame_idx'] + span,
                                            frames[-1]['frame_idx'] + 1)
                if any(t - k * self.tau not in by_idx for k in range(self.num_frames)) and not (
                    self.labelled_only and (t not in by_idx or by_idx[t]['seg_map_path'] is None)))
            for frame in frames:
                chain = self._frame_chain(by_idx, frame)
                if chain is None:
                    continue
                if self.labelled_only and frame['seg_map_path'] is None:
                    continue
                clip_items.append(self._base_item(clip_id, chain))
            if len(frames) < span + 1:
                warnings.warn(f'ClipDataset: clip {clip_id!r} has {len(frames)} frame(s), fewer '
                              f'than {self._span_text()}; skipped.', stacklevel=2)
            elif not clip_items and not self.labelled_only:
                warnings.warn(f'ClipDataset: clip {clip_id!r} has no {self.num_frames} frames '
                              f'{self.tau} apart (gaps in its frame indices); skipped.', stacklevel=2)
            items.extend(clip_items)
        if self.dropped_pairs:
            clip_id, idx = self.dropped_pairs[0]
            warnings.warn(
                f'ClipDataset: {len(self.dropped_pairs)} training pair(s) under '
                f'{self.data_prefix["img_path"]!r} dropped because a frame between the first and '
                f'last of their clip is missing (e.g. the pair of frames {idx - self.tau} and {idx} '
                f'of clip {clip_id!r}); restore the frames to train on every pair.',
                stacklevel=2)
        if not items:
            raise DataFormatError(f'ClipDataset: no training item under '
                                  f'{self.data_prefix["img_path"]!r}: {self._no_pair_reason()}')
        return items

    def _span_text(self) -> str:
        """How many frames an item spans, as the messages say it."""
        span = (self.num_frames - 1) * self.tau + 1
        if self.num_frames == 2:
            return f'tau + 1 = {span}'
        return f'(num_frames - 1) * tau + 1 = {span}'

    def _no_pair_reason(self) -> str:
        """Why no clip gives a training pair, and the fix."""
        if self.labelled_only:
            return ('no pair has a labelled last frame (labelled_only=True); check '
                    'data_prefix.seg_map_path or set labelled_only=False.')
        longest = max(self.clips, key=lambda c: len(self.clips[c]), default=None)
        span = (self.num_frames - 1) * self.tau
        if longest is not None and len(self.clips[longest]) < span + 1:
            return (f'every clip is shorter than {self._span_text()} frames (the longest, '
                    f'{osp.join(self.data_prefix["img_path"], longest)!r}, has '
                    f'{len(self.clips[longest])}). Lower the dataset\'s tau (or num_frames) or add '
                    'frames to the clips.' + (f' {self.prepare_hint}' if self.prepare_hint else ''))
        return (f'no clip has {self.num_frames} frames {self.tau} apart (gaps in the frame '
                f'indices); check the frame file names (<clip>_<frame index>{self.img_suffix}) or '
                'lower tau.')

    def _test_items(self) -> List[dict]:
        """One item per annotated frame, in (clip, frame) order."""
        seg_root = self.data_prefix.get('seg_map_path')
        if seg_root is None:
            raise DataFormatError("ClipDataset: mode='test' needs labels; set "
                                  'data_prefix.seg_map_path to the label directory.')
        self._check_annotations_complete()
        items = []
        for clip_id, frames in self.clips.items():
            by_idx = {f['frame_idx']: f for f in frames}
            for frame in frames:
                if frame['seg_map_path'] is None:
                    continue
                chain = self._frame_chain(by_idx, frame)
                if chain is None:
                    raise DataFormatError(
                        f'ClipDataset: annotated frame {frame["img_path"]!r} has no frame '
                        f'{frame["frame_idx"] - self.tau} before it in clip {clip_id!r}, and '
                        f'num_frames={self.num_frames} test items carry it (two-frame models '
                        'predict from the pair). Restore the frame, or use num_frames=1.')
                items.append(self._base_item(clip_id, chain))
        if not items:
            raise DataFormatError(
                f"ClipDataset: mode='test' found no labels: no file in {seg_root!r} matches "
                f'<clip>/<frame stem>{self.seg_map_suffix} of a frame in '
                f'{self.data_prefix["img_path"]!r}. Check data_prefix.seg_map_path and '
                'seg_map_suffix.')
        return items

    def _check_annotations_complete(self) -> None:
        """Stop when annotated frames or their labels are missing from the evaluation set.

        A deleted frame or label would silently shrink the set scored (and change the result).
        The benchmarks annotate every ``s``-th frame of a clip (the embedded pair, Cityscapes-VPS,
        VIPER: ``s = 1``): ``s`` is the most common step between labelled frames of a clip; a
        clip whose labelled frames skip a multiple of it, or stop short of its first or last
        frame by ``s`` or more, is missing some. Irregular annotations: ``allow_incomplete=True``.
        """
        missing = {key: f'frame {key[1]} of clip {key[0]!r}'
                   for key in missing_annotations(self.clips)}
        for clip_id, path in self._labels_without_frame:
            stem = osp.basename(path)[:-len(self.seg_map_suffix)]
            missing[(clip_id, parse_frame_index(stem))] = f'the frame of label {path!r}'
        if not missing:
            return
        examples = ', '.join(missing[key] for key in sorted(missing, key=str)[:5])
        message = (f'ClipDataset: {len(missing)} annotated frame(s) or their labels are missing '
                   f'under {self.data_prefix["img_path"]!r} / '
                   f'{self.data_prefix.get("seg_map_path")!r} ({examples}); the evaluation set '
                   'would silently be smaller. Restore them, or set allow_incomplete=True in the '
                   'dataset config to evaluate on the frames present (results are then not '
                   'comparable).')
        if not self.allow_incomplete:
            raise DataNotFoundError(message + (f' {self.prepare_hint}' if self.prepare_hint
                                               else ''))
        warnings.warn(message.replace('Restore them, or set', 'Evaluating anyway:'), stacklevel=3)

    # ------------------------------------------------------------------- access
    def get_data_info(self, idx: int) -> dict:
        """The item ``idx`` plus ``sample_idx`` and ``num_classes`` (for label checks)."""
        data_info = super().get_data_info(idx)
        data_info['num_classes'] = len(self.metainfo['classes'])
        if self.pseudo_label_dir is not None:
            data_info['seg_map_paths'] = self.pseudo_label_paths(data_info)
            # Where a round has soft labels (CRST's LR-ENT), LoadClipSoftLabels reads them.
            data_info['soft_label_paths'] = [None if p is None else soft_label_path(p)
                                             for p in data_info['seg_map_paths']]
            data_info['label_map'] = None  # pseudo labels are train ids already
        return data_info

    def pseudo_label_paths(self, data_info: dict) -> List[Optional[str]]:
        """Label paths of an item's frames in the CURRENT pseudo-label round (None before one)."""
        round_dir = read_current(self.pseudo_label_dir)
        if round_dir is None:
            return [None] * len(data_info['img_paths'])
        return [osp.join(self.pseudo_label_dir, round_dir,
                         label_relpath(data_info['clip_id'], img_path))
                for img_path in data_info['img_paths']]

    def clip_ids(self) -> List[str]:
        """Clip ids in dataset order (natural sort)."""
        if not self._fully_initialized:
            self.full_init()
        return list(self.clips)

    def clip_frames(self, clip_id: str) -> List[Dict[str, Any]]:
        """All frame records of a clip in time order (copies; see :meth:`scan_clips`)."""
        if not self._fully_initialized:
            self.full_init()
        if clip_id not in self.clips:
            raise KeyError(f'ClipDataset: unknown clip {clip_id!r}; known clips: '
                           f'{list(self.clips)[:10]}...')
        return [dict(f) for f in self.clips[clip_id]]


def missing_annotations(clips: Dict[str, List[Dict[str, Any]]]) -> List[Tuple[str, int]]:
    """``(clip, frame index)`` of the annotations a periodically annotated set lacks.

    The period is the most common step between consecutive labelled frames of a clip (none: no
    clip has two labels, nothing can be judged); every clip is expected to hold a label every
    period, from its first label's phase, between its first and last frame.
    """
    steps: Dict[int, int] = {}
    labelled = {}
    for clip_id, frames in clips.items():
        idx = [f['frame_idx'] for f in frames if f['seg_map_path'] is not None]
        labelled[clip_id] = idx
        for a, b in zip(idx, idx[1:]):
            steps[b - a] = steps.get(b - a, 0) + 1
    if not steps:
        return []
    period = max(steps, key=lambda step: (steps[step], -step))
    missing = []
    for clip_id, frames in clips.items():
        idx = labelled[clip_id]
        if not idx:
            continue
        first, last = frames[0]['frame_idx'], frames[-1]['frame_idx']
        start = first + (idx[0] - first) % period
        missing.extend((clip_id, i) for i in range(start, last + 1, period) if i not in set(idx))
    return missing


def _list_files(directory: str) -> set:
    """Names of the files in ``directory`` (empty if it does not exist)."""
    if not osp.isdir(directory):
        return set()
    return set(os.listdir(directory))


def _find_flow(flow_root: Optional[str], clip_id: str, stem: str, names: set) -> Optional[str]:
    """Path of flow file ``<stem>.npy`` or ``<stem>.flo`` of a clip, or None."""
    if flow_root is None:
        return None
    for suffix in FLOW_SUFFIXES:
        if stem + suffix in names:
            return osp.join(flow_root, clip_id, stem + suffix)
    return None
