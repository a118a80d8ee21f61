"""Preparation shared by the three Cityscapes-Seq benchmark datasets (list-driven snippets):
``verify`` of one split list against a tree, and ``compute_flow`` in the toolbox's flow format.

The per-dataset modules (``cityscapes_seq.py``, ``viper_seq.py``, ``synthia_seq.py``) say where a
raw label is and how it is read, and hold the module-level workers that spawned processes import.
"""
import os
import os.path as osp
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from uda_toolbox.data_prep.common import run_tasks
from uda_toolbox.data_prep.report import Report, tool_parser
from uda_toolbox.datasets.snippet_dataset import (
    SPLIT_LIST_COUNTS,
    SnippetDataset,
    read_split_list,
    split_list_path,
    toolbox_flow_path,
)
from uda_toolbox.utils.errors import DataError
from uda_toolbox.utils.io import write_npy_atomic


@dataclass
class SnippetSplit:
    """What :func:`verify_split` checks: one split list of one dataset.

    Attributes:
        dataset: The dataset built lazily (``lazy_init=True``) with the list and the frame
            offsets to check; only its naming is used (:meth:`SnippetDataset.entries`, ...).
        split: Split name for messages (``'train'``).
        shipped_name: The shipped list this split defaults to (``'cityscapes_seq/train'``).
        raw_label_path: ``(clip_id, frame) -> path`` of the release's label of a listed frame.
        worker: Module-level ``(frame path, label path or None) -> check_frame_and_label result``.
        expected_size: (H, W) every frame must have; None: any (the same within a snippet).
        fixes: ``dict(frames=..., labels=...)``: what to do about missing frames / labels.
        class_names: Raw label id -> name, for the report of ids present.
    """

    dataset: SnippetDataset
    split: str
    shipped_name: str
    raw_label_path: Callable[[str, int], str]
    worker: Callable
    expected_size: Optional[Tuple[int, int]]
    fixes: Dict[str, str]
    class_names: Dict[int, str]


def _directory_empty(path: str) -> bool:
    """True when ``path`` holds no entry other than hidden ones."""
    return not any(not name.startswith('.') for name in os.listdir(path))


def verify_split(report: Report, spec: SnippetSplit, workers: int = 1, every: int = 1) -> None:
    """Check the frames and raw labels a split list needs; one report line per problem.

    Checked: the list (exists, not empty, well-formed entries; a warning when its count differs
    from the shipped list's), the image directory (exists, not empty: "an empty split"), every
    frame of every snippet (exists, readable, not truncated, its size), the label of every listed
    frame (exists, decodes, ids in the dataset's range, the size of its frame), and frames of one
    snippet of different sizes. Ends with an info line of counts.

    Args:
        report: Where the lines go.
        spec: The split (:class:`SnippetSplit`).
        workers: Processes for the per-file checks.
        every: Check every n-th snippet only (1: all).
    """
    dataset, name = spec.dataset, spec.dataset.dataset_name
    try:
        list_path = split_list_path(dataset.split_list)
        entries = read_split_list(list_path)
        snippets = [dataset.parse_entry(entry, list_path) for entry in entries]
    except DataError as exc:
        report.error(f'{name} {spec.split!r}: {exc}')
        return
    official = SPLIT_LIST_COUNTS.get(spec.shipped_name)
    if official is not None and len(entries) != official:
        report.warn(f'{name} {spec.split!r}: the list {list_path!r} has {len(entries)} entries; the '
                    f'benchmark\'s ({spec.shipped_name}) has {official}. Results are not comparable '
                    'with published ones unless you meant a subset.')
    img_root = dataset.data_prefix['img_path']
    if not osp.isdir(img_root):
        report.error(f'{name} {spec.split!r}: the image directory {img_root!r} does not exist. '
                     + spec.fixes['frames'])
        return
    if _directory_empty(img_root):
        report.error(f'{name} split {spec.split!r} is empty: {img_root!r} holds no frames. '
                     + spec.fixes['frames'])
        return
    frames: Dict[str, Optional[str]] = {}  # frame path -> its raw label (listed frames) or None
    snippet_frames: List[Tuple[str, List[str]]] = []
    for clip_id, t in snippets[::max(1, every)]:
        paths = []
        for offset in dataset.frame_offsets:
            path = osp.join(img_root, dataset.frame_relpath(clip_id, t + offset))
            if offset == 0:
                frames[path] = spec.raw_label_path(clip_id, t)
            else:
                frames.setdefault(path, None)
            paths.append(path)
        snippet_frames.append((clip_id, paths))
    results = run_tasks(spec.worker, list(frames.items()), workers,
                        desc=f'verify {name} {spec.split}')
    sizes: Counter = Counter()
    size_of: Dict[str, Tuple[int, int]] = {}
    present: Counter = Counter()
    for result in results:
        for problem in result['problems']:
            report.error(problem)
        if result['size'] is None:
            continue
        size = tuple(result['size'])
        sizes[size] += 1
        size_of[result['img']] = size
        if spec.expected_size is not None and size != tuple(spec.expected_size):
            report.error(f'{name} frame {result["img"]!r} is {size} (H, W); {name} frames are '
                         f'{tuple(spec.expected_size)}. It is not the release\'s file: '
                         + spec.fixes['frames'])
        present.update(result['ids'] or ())
    for clip_id, paths in snippet_frames:
        found = {size_of[p] for p in paths if p in size_of}
        if len(found) > 1 and spec.expected_size is None:  # else each odd frame is reported
            report.error(f'{name} snippet {clip_id} of {spec.split!r}: its frames differ in size '
                         f'{sorted(found)}; {spec.fixes["frames"]}')
    labels = sum(1 for label in frames.values() if label is not None)
    report.info(f'{spec.split}: {len(entries)} snippets in {list_path!r}, {len(snippet_frames)} '
                f'checked ({len(frames)} frames, {labels} labels, offsets '
                f'{list(dataset.frame_offsets)}); frame sizes (H, W): {dict(sizes)}.')
    if present:
        ids = ', '.join(f'{i} {spec.class_names.get(i, "?")}' for i in sorted(present))
        report.info(f'{spec.split}: raw label ids present: {ids}.')


# ----------------------------------------------------------------------------- flow


def _read_for_flow(path: str, crop_bottom: int, scale: float) -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f'{path!r} is not a readable image; re-extract it (verify names every bad '
                        'file).')
    if crop_bottom:
        image = image[:image.shape[0] - crop_bottom]
    if scale != 1.0:
        h, w = image.shape[:2]
        image = cv2.resize(image, (int(round(w * scale)), int(round(h * scale))),
                           interpolation=cv2.INTER_AREA)
    return image


def snippet_flow_jobs(dataset: SnippetDataset, flow_root: str) -> List[Tuple[str, str, str]]:
    """(frame path, neighbour path, output path) of every backward (t -> t-1) and forward
    (t-1 -> t) flow between neighbouring frames of every snippet, each file once."""
    jobs, seen = [], set()
    for clip_id in dataset.clip_ids():
        frames = dataset.clip_frames(clip_id)
        for prev, cur in zip(frames, frames[1:]):
            if cur['frame_idx'] - prev['frame_idx'] != 1:
                continue
            for a, b in ((cur, prev), (prev, cur)):
                relpath = osp.relpath(a['img_path'], dataset.data_prefix['img_path'])
                out = toolbox_flow_path(flow_root, relpath, b['frame_idx'] - a['frame_idx'])
                if out not in seen:
                    seen.add(out)
                    jobs.append((a['img_path'], b['img_path'], out))
    return jobs


def compute_snippet_flows(dataset: SnippetDataset, flow_root: str,
                          estimator: Callable[[np.ndarray, np.ndarray], np.ndarray],
                          scale: float = 1.0, crop_bottom: int = 0, overwrite: bool = False,
                          progress: Optional[Callable[[int, int], None]] = None) -> Tuple[int, int]:
    """Write the toolbox-format flow files the snippets of ``dataset`` read
    (``flow_format='toolbox'``, ``flow_root``): float16 (h, w, 2), atomically.

    Args:
        dataset: Built without ``flow_root``; its frame offsets decide which pairs get flow.
        flow_root: Output root (the dataset's ``flow_root`` to set afterwards).
        estimator: ``(frame_a, frame_b) -> flow a -> b`` (``FLOW_ESTIMATORS``).
        scale: Frames are resized by this factor before the estimate (INTER_AREA), so the flow is
            stored at that resolution (the training input size saves disk; readers resize it).
        crop_bottom: Rows cut off the bottom first (SYNTHIA-Seq: 120, as the originals' flow).
        overwrite: Recompute existing files (else they are kept: rerun to resume).
        progress: Called with (done, total) after each file.

    Returns:
        (written, kept).
    """
    jobs = snippet_flow_jobs(dataset, flow_root)
    todo = [job for job in jobs if overwrite or not osp.isfile(job[2])]
    cache: Dict[str, np.ndarray] = {}
    for done, (path_a, path_b, out) in enumerate(todo, start=1):
        pair = []
        for path in (path_a, path_b):
            if path not in cache:
                if len(cache) > 8:  # jobs come snippet by snippet: a small cache suffices
                    cache.pop(next(iter(cache)))
                cache[path] = _read_for_flow(path, crop_bottom, scale)
            pair.append(cache[path])
        write_npy_atomic(out, estimator(pair[0], pair[1]).astype(np.float16))
        if progress is not None:
            progress(done, len(todo))
    return len(todo), len(jobs) - len(todo)


def frame_offsets_arg(values: Sequence[str]) -> Tuple[int, ...]:
    """``['-2', '-1', '0']`` -> ``(-2, -1, 0)`` (command-line helper)."""
    return tuple(int(v) for v in values)


# ----------------------------------------------------------------------------- command line


def snippet_tool_parser(description: str, commands: Dict[str, str], root_help: str,
                        verify_offsets: Sequence[int], flow_scale: float):
    """The command line of ``tools/data/{cityscapes_seq,viper_seq,synthia_seq}.py``: the preparation
    tools' (``tool_parser``) plus ``--split-list SPLIT FILE`` and ``--frames`` on every command,
    ``--every`` / ``--any-size`` on ``verify`` and the flow options on ``compute_flow``.
    Returns the parser and the sub-parsers by command name."""
    parser, subs = tool_parser(description, commands, root_help)
    for name, sub in subs.items():
        sub.add_argument('--split-list', nargs=2, action='append', metavar=('SPLIT', 'FILE'),
                         default=[], help='read SPLIT from FILE instead of the shipped list')
        default = list(verify_offsets) if name == 'verify' else [-1, 0]
        sub.add_argument('--frames', type=int, nargs='+', default=default,
                         help='frame offsets around each listed frame t, ending with 0 '
                              f'(default: {" ".join(map(str, default))})')
    subs['verify'].add_argument('--every', type=int, default=1,
                                help='check every n-th snippet (default: 1, all)')
    subs['verify'].add_argument('--any-size', action='store_true',
                                help="accept any frame size (default: the release's)")
    flow = subs['compute_flow']
    flow.add_argument('--out', help='flow root (default: where the configs read it, see docs/data.md)')
    flow.add_argument('--scale', type=float, default=flow_scale,
                      help=f'resize frames by this factor first (default: {flow_scale:.4g}, the '
                           'training input size)')
    flow.add_argument('--estimator', default='OpenCVDISFlow', help='a FLOW_ESTIMATORS type')
    flow.add_argument('--preset', default=None, help='OpenCVDISFlow preset (default: medium)')
    flow.add_argument('--overwrite', action='store_true', help='recompute existing flow files')
    return parser, subs


def estimator_config(args) -> dict:
    """The flow estimator config of ``compute_flow``'s options."""
    cfg = dict(type=args.estimator)
    if args.preset is not None:
        cfg['preset'] = args.preset
    return cfg


def run_flow_command(compute: Callable[[], Tuple[int, int, str]], prefix: str = '') -> None:
    """Run a ``compute_flow`` function and print what it did; a DataError (a missing frame, a bad
    list) ends the program with its message instead of a traceback."""
    try:
        written, kept, out = compute()
    except DataError as exc:
        raise SystemExit(f'error: {exc}') from None
    print(f'{prefix}wrote {written} flow files, kept {kept} existing, in {out}')


def print_progress(done: int, total: int) -> None:
    """A progress line every 10 % (compute_flow)."""
    if done == total or done % max(1, total // 10) == 0:
        print(f'{done}/{total} flow files', flush=True)
