"""Writing a synthetic pair: every clip's files, ``meta.json``, and the directory life cycle
(a hidden temporary sibling renamed into place, reuse of a pair with the same parameters).

The generator version is a switch: ``GENERATORS`` maps a version number to the module that renders
it (``v1/``, ``v2/``); each version records its own name in ``meta.json``, so a cached pair is never reused
across versions. File layout and formats: docs/data.md.
"""

import importlib
import json
import multiprocessing
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Dict, List, Optional, Tuple, Union

import cv2
import numpy as np

from uda_toolbox.data_prep.synthetic.pair import SPLITS, SyntheticPairParams, clip_name, clip_seed
from uda_toolbox.utils.classes import IGNORE_INDEX, VIDEO_UDA_CLASSES
from uda_toolbox.utils.io import atomic_write, write_npy_atomic, write_png_atomic

PathLike = Union[str, os.PathLike]

# Generator version -> the module that renders it (imported when first used).
GENERATORS = {1: 'uda_toolbox.data_prep.synthetic.v1', 2: 'uda_toolbox.data_prep.synthetic.v2'}
DEFAULT_VERSION = 1


def generator(version: int) -> ModuleType:
    """The module of generator ``version`` (``GENERATORS``); a ValueError names the versions."""
    if isinstance(version, bool) or version not in GENERATORS:
        raise ValueError(f'synthetic pair: version must be one of {sorted(GENERATORS)}, '
                         f'got {version!r}')
    return importlib.import_module(GENERATORS[version])


def _write_clip(job: Tuple[dict, str, str, str, int, int]) -> List[int]:
    """Render and write one clip; returns class pixel counts (256,) of the labels written."""
    params_dict, root, domain, split, index, version = job
    params = SyntheticPairParams(**params_dict)
    target = domain == 'target'
    clip = generator(version).render_clip(
        clip_seed(params.seed, domain, split, index),
        height=params.height,
        width=params.width,
        length=params.clip_length,
        style_shift=params.style_shift if target else 0.0,
        layout_shift=params.layout_shift if target else 0.0,
    )
    name = clip_name(index, params.num_clips(domain, split))
    split_root = Path(root) / domain / split
    labelled = set(params.labelled_frames(domain))
    counts = np.zeros(256, np.int64)
    for t in range(params.clip_length):
        stem = f'{name}_{t:05d}'
        write_png_atomic(split_root / 'img' / name / f'{stem}.png', clip.frames[t])
        if t in labelled:
            write_png_atomic(split_root / 'cls' / name / f'{stem}.png', clip.labels[t])
            counts += np.bincount(clip.labels[t].ravel(), minlength=256)
        if t > 0:
            write_npy_atomic(
                split_root / 'flow' / name / f'{stem}_bw.npy',
                clip.flow_bw[t - 1].astype(np.float16),
            )
        if t < params.clip_length - 1:
            write_npy_atomic(
                split_root / 'flow' / name / f'{stem}_fw.npy', clip.flow_fw[t].astype(np.float16)
            )
    return counts.tolist()


def _init_worker() -> None:
    # A fresh (spawned) process: one OpenCV thread per worker, the workers are the parallelism.
    cv2.setNumThreads(1)


def _meta(params: SyntheticPairParams, counts: Dict[str, np.ndarray], version: int) -> dict:
    """The content of meta.json; no timings, so equal parameters give equal bytes."""
    gen = generator(version)
    splits = {}
    for domain, split in SPLITS:
        n, labelled = params.num_clips(domain, split), params.labelled_frames(domain)
        splits[f'{domain}/{split}'] = dict(
            num_clips=n,
            frames_per_clip=params.clip_length,
            num_frames=n * params.clip_length,
            num_labelled_frames=n * len(labelled),
            labelled_frame_ids=labelled,
        )
    freqs = {}
    for domain, c in counts.items():
        total = max(int(c.sum()), 1)
        freqs[domain] = {
            name: round(float(c[i]) / total, 6) for i, name in enumerate(VIDEO_UDA_CLASSES)
        }
    return dict(
        generator_version=gen.GENERATOR_VERSION,
        params=params.to_dict(),
        splits=splits,
        classes=list(VIDEO_UDA_CLASSES),
        classes_present=list(gen.RENDERED_CLASSES),
        ignore_index=IGNORE_INDEX,
        class_frequencies=freqs,
        class_frequencies_note='fraction of pixels per class over the label files of each domain',
        factors=gen.meta_factors(params),
        flow=dict(
            dtype='float16',
            shape='(H, W, 2)',
            units='px',
            order='(dx, dy)',
            fw='flow from frame F to F+1: the point at p in F is at p + flow(p) in F+1',
            bw='flow from frame F to F-1',
            occlusion='not modelled (exact motion of the scene point)',
        ),
        seeds='SeedSequence([seed, domain (source 1, target 2), split (train 1, val 2), clip])',
    )


def _to_json(meta: dict) -> str:
    """Indented JSON with number lists kept on one line."""
    text = json.dumps(meta, indent=2)
    return (
        re.sub(
            r'\[([-\d.,\s]+)\]',
            lambda m: '[' + ', '.join(m.group(1).split()).replace(',,', ',') + ']',
            text,
        )
        + '\n'
    )


def _read_meta(out_dir: Path) -> Optional[dict]:
    try:
        with open(out_dir / 'meta.json') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _matches(meta: Optional[dict], params: SyntheticPairParams, version: int) -> bool:
    return (
        meta is not None
        and meta.get('generator_version') == generator(version).GENERATOR_VERSION
        and meta.get('params') == params.to_dict()
    )


def _check_replaceable(out_dir: Path) -> None:
    """Only a previous synthetic pair (with our meta.json) or an empty directory is replaced."""
    if not out_dir.is_dir():
        raise FileExistsError(
            f'synthetic pair: {out_dir} exists and is not a directory; choose another --out'
        )
    meta = _read_meta(out_dir)
    if (meta is None or 'generator_version' not in meta) and any(out_dir.iterdir()):
        raise FileExistsError(
            f'synthetic pair: {out_dir} is not empty and has no synthetic meta.json, so it is '
            f'not a synthetic pair; refusing to overwrite it. Choose another --out (out_dir).'
        )


def _mismatch_error(
    out_dir: Path, meta: Optional[dict], params: SyntheticPairParams, version: int
) -> FileExistsError:
    wanted = generator(version).GENERATOR_VERSION
    if meta is None:
        why = 'it has no readable meta.json'
    elif meta.get('generator_version') != wanted:
        why = f"it was written by generator {meta.get('generator_version')!r}, this is {wanted!r}"

    else:
        old = meta.get('params', {})
        diff = {k: (old.get(k), v) for k, v in params.to_dict().items() if old.get(k) != v}
        why = 'its parameters differ (existing, requested): ' + ', '.join(
            f'{k}={a!r} vs {b!r}' for k, (a, b) in diff.items()
        )
    return FileExistsError(
        f'synthetic pair: {out_dir} already exists but {why}. Pass overwrite=True '
        f'(--overwrite) to regenerate it, or choose another --out (out_dir).'
    )


def generate_synthetic_pair(
    out_dir: PathLike,
    *,
    seed: int = 0,
    style_shift: float = 0.6,
    layout_shift: float = 0.6,
    height: int = 64,
    width: int = 128,
    num_source_clips: int = 40,
    num_target_train_clips: int = 40,
    num_target_val_clips: int = 20,
    clip_length: int = 30,
    annotation_interval: int = 5,
    version: int = DEFAULT_VERSION,
    workers: int = 1,
    overwrite: bool = False,
    verbose: bool = True,
) -> Path:
    """Generate the source/target video pair under ``out_dir`` (layout: docs/data.md) and return its
    path.

    Everything is written into a hidden temporary sibling directory, ``meta.json`` last, which is
    then renamed onto ``out_dir``: an interrupted run never leaves a directory that looks complete.
    ``workers > 1`` renders clips in that many spawned processes; the bytes written are identical to
    ``workers=1``. ``version`` picks the generator (``GENERATORS``); its name is recorded in
    ``meta.json``.

    Raises:
        FileExistsError: ``out_dir`` exists and ``overwrite`` is False (or it is not a synthetic
        pair at all).
    """
    params = SyntheticPairParams(
        seed,
        style_shift,
        layout_shift,
        height,
        width,
        num_source_clips,
        num_target_train_clips,
        num_target_val_clips,
        clip_length,
        annotation_interval,
    )
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f'synthetic pair: workers must be an int >= 1, got {workers!r}')
    generator(version)  # an unknown version fails before anything is written
    out_dir = Path(out_dir)
    if out_dir.exists():
        if overwrite:
            _check_replaceable(out_dir)
        elif _matches(_read_meta(out_dir), params, version):
            raise FileExistsError(
                f'synthetic pair: {out_dir} already exists with the same parameters; use '
                f'ensure_synthetic_pair to reuse it, or pass overwrite=True (--overwrite) to '
                f'regenerate it'
            )
        else:
            raise _mismatch_error(out_dir, _read_meta(out_dir), params, version)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f'.{out_dir.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}'
    try:
        tmp.mkdir()
        counts = _render_all(params, tmp, workers, verbose, version)
        meta = _meta(params, counts, version)
        with atomic_write(tmp / 'meta.json') as f:
            f.write_text(_to_json(meta))
        _move_into_place(tmp, out_dir, params, overwrite, version)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _render_all(
    params: SyntheticPairParams, root: Path, workers: int, verbose: bool, version: int
) -> Dict[str, np.ndarray]:
    """Write every split under ``root``; returns per-domain class pixel counts (256,)."""
    counts = {domain: np.zeros(256, np.int64) for domain, _ in SPLITS}
    total = sum(params.num_clips(d, s) for d, s in SPLITS)
    # Spawned (not forked) workers: OpenCV's thread pool does not survive fork()
    # (opencv/opencv#5150).
    pool = (
        multiprocessing.get_context('spawn').Pool(min(workers, total), initializer=_init_worker)
        if workers > 1
        else None
    )
    try:
        for domain, split in SPLITS:
            t0 = time.perf_counter()
            n = params.num_clips(domain, split)
            jobs = [(params.to_dict(), str(root), domain, split, i, version) for i in range(n)]
            results = (
                pool.map(_write_clip, jobs) if pool is not None else [_write_clip(j) for j in jobs]
            )
            for c in results:
                counts[domain] += np.asarray(c, np.int64)
            if verbose:
                print(
                    f'[synthetic] {domain}/{split}: {n} clips x {params.clip_length} frames '
                    f'({n * len(params.labelled_frames(domain))} labelled) in '
                    f'{time.perf_counter() - t0:.1f} s',
                    flush=True,
                )
    finally:
        if pool is not None:
            pool.terminate()  # every job has finished (or one failed): nothing is left to wait for
            pool.join()
    return counts


def _move_into_place(
    tmp: Path, out_dir: Path, params: SyntheticPairParams, overwrite: bool, version: int
) -> None:
    """Rename the finished temporary dir onto ``out_dir`` (an old pair is moved aside first)."""
    if out_dir.exists():
        if not overwrite:
            # Another process finished the same pair first: keep theirs if it matches, else
            # complain.
            if _matches(_read_meta(out_dir), params, version):
                return
            raise _mismatch_error(out_dir, _read_meta(out_dir), params, version)
        _check_replaceable(out_dir)
        old = out_dir.parent / f'.{out_dir.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}'
        os.rename(out_dir, old)
        os.rename(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out_dir)


def ensure_synthetic_pair(
    out_dir: PathLike,
    *,
    version: int = DEFAULT_VERSION,
    overwrite: bool = False,
    verbose: bool = True,
    workers: int = 1,
    **kwargs,
) -> Path:
    """Return ``out_dir`` holding the pair for these parameters, generating it only if needed
    (idempotent).

    If ``out_dir/meta.json`` records the same parameters and generator version nothing is touched.
    If ``out_dir`` exists otherwise, raise a ``FileExistsError`` naming it (pass ``overwrite=True``
    to regenerate). Keyword arguments are those of :func:`generate_synthetic_pair`.
    """
    params = SyntheticPairParams(**kwargs)
    out_dir = Path(out_dir)
    meta = _read_meta(out_dir)
    if _matches(meta, params, version):
        return out_dir
    if out_dir.exists() and not overwrite:
        raise _mismatch_error(out_dir, meta, params, version)
    return generate_synthetic_pair(
        out_dir,
        **params.to_dict(),
        version=version,
        workers=workers,
        overwrite=overwrite,
        verbose=verbose,
    )
