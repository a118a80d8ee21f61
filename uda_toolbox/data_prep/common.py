"""What the preparation tools share: cheap file checks (image header and end marker, without
decoding), label decoding with clear errors, colour-to-id mapping, the per-file verify and convert
workers, atomic JSON writes, a process pool with progress (bar or log lines), the resumable convert loop and
index writing. The dataset-specific work functions live in ``viper.py`` / ``cityscapes_vps.py``
(module-level, so spawned workers can import them).
"""
import io
import json
import multiprocessing
import os
import os.path as osp
import sys
from collections import Counter, defaultdict
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from PIL import Image

from uda_toolbox.data_prep.report import Report
from uda_toolbox.utils.errors import DataError, DataFormatError, DataNotFoundError
from uda_toolbox.utils.io import (
    atomic_write,
    check_not_truncated,
    file_complete,
    read_bytes,
    write_png_atomic,
)
from uda_toolbox.utils.progress import Progress


def image_size(path: str, what: str = 'image') -> Tuple[int, int]:
    """(H, W) of an image from its header; raises a DataError naming ``path`` if it is missing,
    unreadable or truncated (no end marker). Does not decode the pixels."""
    if not osp.isfile(path):
        raise DataNotFoundError(f'{what} {path!r} does not exist.')
    if not file_complete(path):
        raise DataFormatError(f'{what} {path!r} is truncated or empty (no end-of-image marker); '
                              'it was copied or extracted partially.')
    try:
        with Image.open(path) as img:
            width, height = img.size
    except Exception as exc:  # PIL raises several types for bad headers
        raise DataFormatError(f'{what} {path!r} is not a readable image ({exc}).') from exc
    return height, width


def write_json_atomic(path: str, obj: object) -> None:
    """Write JSON through a temporary file renamed onto ``path``."""
    with atomic_write(path) as tmp:
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=1, sort_keys=True)
            f.write('\n')


def remove_stale_temporaries(directory: str) -> int:
    """Delete hidden ``.*.tmp*`` files that an interrupted atomic writer left under ``directory``."""
    removed = 0
    for dirpath, _, names in os.walk(directory):
        for name in names:
            if name.startswith('.') and '.tmp' in name:
                os.remove(osp.join(dirpath, name))
                removed += 1
    return removed

def run_tasks(fn: Callable, tasks: Sequence, workers: int = 1, desc: str = '',
              stream=None) -> List:
    """``[fn(t) for t in tasks]`` in ``workers`` spawned processes, with progress
    (:class:`~uda_toolbox.utils.progress.Progress`: a bar on a terminal, periodic lines with the
    ETA in a log file).

    Spawned (not forked) because OpenCV's thread pool does not survive ``fork()``. ``fn``
    must be importable (a module-level function of the package). Results keep task order.
    """
    stream = sys.stderr if stream is None else stream
    total = len(tasks)
    results: List = []
    bar = Progress(total, desc or 'tasks', unit='tasks', stream=stream)
    if workers <= 1 or total <= 1:
        for task in tasks:
            results.append(fn(task))
            bar.update()
    else:
        ctx = multiprocessing.get_context('spawn')
        chunk = max(1, min(64, total // (workers * 8)))
        with ctx.Pool(workers) as pool:
            for result in pool.imap(fn, tasks, chunksize=chunk):
                results.append(result)
                bar.update()
    bar.close()
    return results


def existing_splits(root: str, candidates: Iterable[str],
                    required: Union[str, Sequence[str], None] = None) -> List[str]:
    """The split directories of ``candidates`` under ``root`` that hold ``required`` (a directory,
    or any one of several)."""
    options = [required or ''] if isinstance(required, str) or required is None else list(required)
    return [s for s in candidates if any(osp.isdir(osp.join(root, s, r)) for r in options)]


# ----------------------------------------------------------------------------- labels


def decode_label(path: str, what: str, fix: str) -> np.ndarray:
    """Read a label image: (H, W) values of an indexed or grey PNG, (H, W, 3) RGB of a colour one.

    Indexed ('P') PNGs give their palette indices, which are the class ids (OpenCV would expand
    the palette to colours), so PIL is tried first and OpenCV only for what PIL cannot decode.
    A missing, empty, truncated or undecodable file raises a :class:`DataError` that names
    ``path`` and ends with ``fix`` (what to do about it).
    """
    try:
        data = read_bytes(path, what)
        check_not_truncated(data, path, what)
    except FileNotFoundError as exc:
        raise DataNotFoundError(f'{exc} {fix}') from None
    except OSError as exc:  # empty or truncated
        raise DataFormatError(f'{exc} {fix}') from None
    try:
        with Image.open(io.BytesIO(data)) as pil:
            pil.load()
            array = np.asarray(pil)
    except Exception:  # PIL raises several types for files it cannot decode
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if decoded is None:
            raise DataFormatError(f'{what} {path!r} cannot be decoded (neither PIL nor OpenCV '
                                  f'reads it). {fix}') from None
        array = decoded[..., 2::-1] if decoded.ndim == 3 else decoded  # BGR(A) -> RGB
    if array.ndim == 2:
        return array
    if array.ndim != 3 or array.shape[2] < 3:
        raise DataFormatError(f'{what} {path!r} has shape {array.shape}: neither a single-channel '
                              f'(indexed or grey) nor an RGB(A) colour image. {fix}')
    return array[..., :3]


def colours_to_ids(rgb: np.ndarray, palette: Sequence[Tuple[int, int, int]],
                   fill: int = 255) -> Tuple[np.ndarray, np.ndarray]:
    """Map an (H, W, 3) RGB label to the index of each pixel's colour in ``palette``.

    Where the palette repeats a colour the lowest index wins; colours it lacks get ``fill``.

    Returns:
        ``(ids, known)``: (H, W) uint8 ids and the bool mask of pixels whose colour is listed.
    """
    codes = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    ids = np.full(codes.shape, fill, np.uint8)
    known = np.zeros(codes.shape, bool)
    for index, (r, g, b) in reversed(list(enumerate(palette))):
        mask = codes == ((r << 16) | (g << 8) | b)
        ids[mask] = index
        known |= mask
    return ids, known


def values_outside(ids: np.ndarray, num_ids: int, allowed: Iterable[int] = ()) -> List[int]:
    """Up to 10 distinct values of ``ids`` that are neither in ``0..num_ids - 1`` nor ``allowed``."""
    invalid = (ids < 0) | (ids >= num_ids)
    for value in allowed:
        invalid &= ids != value
    return np.unique(ids[invalid])[:10].tolist() if invalid.any() else []


# ----------------------------------------------------------------------------- workers


def check_frame_and_label(img_path: str, label_path: Optional[str],
                          read_label: Callable[[str], np.ndarray], dataset: str,
                          frame_fix: str) -> dict:
    """The verify tools' per-file check: frame header and end marker; label decode, values
    (whatever ``read_label`` checks) and size.

    Args:
        img_path: The frame.
        label_path: Its label, or None.
        read_label: Reads a label to an (H, W) id map, raising :class:`DataError` if it is bad.
        dataset: Name used in messages (``'VIPER'``).
        frame_fix: What to do about a bad frame (appended to its message).

    Returns:
        ``dict(img, size=(H, W) | None, problems=[str], ids=[values present] | None)``.
    """
    out = dict(img=img_path, size=None, problems=[], ids=None)
    try:
        out['size'] = image_size(img_path, f'{dataset} frame')
    except DataError as exc:
        out['problems'].append(f'{exc} {frame_fix}')
    if label_path is None:
        return out
    try:
        ids = read_label(label_path)
    except DataError as exc:
        out['problems'].append(str(exc))
        return out
    out['ids'] = np.flatnonzero(np.bincount(ids.ravel().astype(np.int64), minlength=256)).tolist()
    if out['size'] is not None and tuple(ids.shape) != tuple(out['size']):
        out['problems'].append(
            f'{dataset} label {label_path!r} is {tuple(ids.shape)} (H, W) but its frame '
            f'{img_path!r} is {tuple(out["size"])}; a label must have the size of its frame. '
            'Re-extract (or re-create) both from the release.')
    return out


def convert_label_file(src: str, dst: str,
                       convert: Callable[[str], np.ndarray]) -> Tuple[str, Optional[str]]:
    """The convert tools' per-file work: write ``convert(src)`` to ``dst`` atomically.

    Returns ``(dst, None)`` or ``(dst, error message)``: errors are reported, not raised, so that
    one bad file does not stop the others.
    """
    try:
        write_png_atomic(dst, convert(src))
    except DataError as exc:
        return dst, str(exc)
    return dst, None

# ----------------------------------------------------------------------------- the tools' loops


def splits_to_process(report: Report, root: str, splits: Optional[Sequence[str]],
                      candidates: Iterable[str], required: Union[str, Sequence[str]],
                      missing_root: str, no_split: str) -> List[str]:
    """``splits``, or those of ``candidates`` with a ``required`` directory; an error line (and
    no split) when ``root`` does not exist (``missing_root``) or holds none (``no_split``)."""
    if not osp.isdir(root):
        report.error(missing_root)
        return []
    found = list(splits or existing_splits(root, candidates, required))
    if not found:
        report.error(no_split)
    return found


def convert_split(report: Report, split: str, pairs: Sequence[Tuple[str, str]], out_root: str,
                  settings: dict, worker: Callable, task_args: Tuple = (), workers: int = 1,
                  overwrite: bool = False, desc: str = '') -> bool:
    """The convert tools' loop over one split: resumable, atomic, settings-checked.

    The settings are written first to ``<out_root>/conversion.json``; a rerun with other
    settings is refused (an error line, False) unless ``overwrite``. Stale temporaries of an
    interrupted run are removed, outputs that are already complete PNGs are skipped, and
    ``worker((src, dst, *task_args))`` converts the rest in ``workers`` processes; each worker
    writes atomically, so an interrupted run rerun gives the result of an uninterrupted one.

    Args:
        pairs: ``(source label, output label)`` paths.
        worker: Module-level function (spawned workers import it) returning ``(dst, error)``.
    """
    settings_path = osp.join(out_root, 'conversion.json')
    if osp.isfile(settings_path) and not overwrite:
        with open(settings_path) as f:
            old = json.load(f)
        if old != settings:
            changed = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
            report.error(f'{out_root!r} was converted with other settings (differing: {changed}); '
                         'rerun with the same options, or pass --overwrite to convert again.')
            return False
    os.makedirs(out_root, exist_ok=True)
    remove_stale_temporaries(out_root)
    write_json_atomic(settings_path, settings)  # first, so a resumed run knows the settings
    tasks, skipped = [], 0
    for src, dst in pairs:
        if not overwrite and file_complete(dst):
            skipped += 1
            continue
        tasks.append((src, dst, *task_args))
    results = run_tasks(worker, tasks, workers, desc=desc)
    failed = [err for _, err in results if err is not None]
    for err in failed:
        report.error(f'{err} The other labels were converted; fix this file and run convert '
                     'again (converted labels are skipped).')
    report.info(f'{split}: converted {len(tasks) - len(failed)} label(s), skipped {skipped} '
                f'already converted, {len(failed)} failed; output {out_root!r}.')
    return True


def write_indexes(root: str, splits: Optional[Sequence[str]], candidates: Iterable[str],
                  scan: Callable[[str, str], dict], index_name: str, dataset: str,
                  report: Optional[Report] = None) -> List[str]:
    """Write ``<split>/<index_name>`` = ``scan(root, split)`` for each split (default: those with
    ``img/``). A :class:`DataError` becomes an error line of ``report``, or without one exits with
    its message. Returns the paths written."""
    splits = list(splits or existing_splits(root, candidates, 'img'))
    if not splits:
        raise SystemExit(f'error: {root!r} holds no {dataset} split (expected {root}/train/img/).')
    paths = []
    for split in splits:
        path = osp.join(root, split, index_name)
        try:
            write_json_atomic(path, scan(root, split))
        except DataError as exc:
            if report is None:
                raise SystemExit(f'error: {exc}') from None
            report.error(f'index of {split!r} not written: {exc}')
            continue
        paths.append(path)
    return paths


def collect_checks(report: Report, results: Iterable[dict], split: str,
                   group_of: Callable[[str], Any], unit: str) -> Tuple[Counter, set]:
    """Report the problems of :func:`check_frame_and_label` results and the groups (clips) whose
    frames differ in size. Returns (frame count per (H, W), values present in the labels)."""
    sizes: Counter = Counter()
    group_sizes = defaultdict(set)
    present = set()
    for result in results:
        for problem in result['problems']:
            report.error(problem)
        if result['size'] is not None:
            sizes[tuple(result['size'])] += 1
            group_sizes[group_of(result['img'])].add(tuple(result['size']))
        present.update(result['ids'] or ())
    for group, found in sorted(group_sizes.items(), key=lambda kv: str(kv[0])):
        if len(found) > 1:
            report.error(f'frames of {unit} {group} of {split!r} differ in size {sorted(found)}; '
                         'every frame of a clip must have one size. Re-extract (or re-copy) them.')
    return sizes, present

