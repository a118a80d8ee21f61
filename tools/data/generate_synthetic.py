"""Generate the embedded sim-to-real video pair (docs/data.md, "The embedded sim-to-real pair").

Example (from the repository root, no installation needed)::

    python tools/data/generate_synthetic.py                        # version 2 -> data/synthetic_v2
    python tools/data/generate_synthetic.py --generator-version 1  # version 1 -> data/synthetic

Without ``--overwrite`` an existing pair with the same parameters is reused (nothing is rewritten)
and a directory holding different parameters is an error; ``--overwrite`` regenerates it.
"""

import argparse
import sys
import time
from pathlib import Path

try:
    import uda_toolbox  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from uda_toolbox.data_prep.synthetic import (  # noqa: E402
    GENERATORS,
    SPLITS,
    SyntheticPairParams,
    ensure_synthetic_pair,
    generate_synthetic_pair,
)

#: The version the configs read by default (configs/_base_/datasets/synthetic_source_free.py, issue 20).
CLI_VERSION = 2


def parse_args(argv=None) -> argparse.Namespace:
    defaults = SyntheticPairParams()
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument(
        '--out', help='output directory (default: data/synthetic_v2 for version 2, where the '
        'configs read it; data/synthetic for version 1)'
    )
    p.add_argument('--seed', type=int, default=defaults.seed)
    p.add_argument(
        '--style-shift',
        type=float,
        default=defaults.style_shift,
        help='appearance shift of the target, 0 = source look, 1 = full (default: %(default)s)',
    )
    p.add_argument(
        '--layout-shift',
        type=float,
        default=defaults.layout_shift,
        help='layout shift of the target, 0 = source layout, 1 = full (default: %(default)s)',
    )
    p.add_argument('--height', type=int, default=defaults.height)
    p.add_argument('--width', type=int, default=defaults.width)
    p.add_argument('--num-source-clips', type=int, default=defaults.num_source_clips)
    p.add_argument('--num-target-train-clips', type=int, default=defaults.num_target_train_clips)
    p.add_argument('--num-target-val-clips', type=int, default=defaults.num_target_val_clips)
    p.add_argument('--clip-length', type=int, default=defaults.clip_length)
    p.add_argument('--annotation-interval', type=int, default=defaults.annotation_interval)
    p.add_argument(
        '--generator-version',
        type=int,
        choices=sorted(GENERATORS),
        default=CLI_VERSION,
        help='generator version, recorded in meta.json (default: %(default)s, the pair the '
        'configs read; the library\'s generate_synthetic_pair keeps version 1 as its default)',
    )
    p.add_argument(
        '--workers', type=int, default=2, help='processes rendering clips (default: %(default)s)'
    )
    p.add_argument(
        '--overwrite', action='store_true', help='regenerate even if --out already exists'
    )
    args = p.parse_args(argv)
    if args.out is None:
        args.out = 'data/synthetic' if args.generator_version == 1 else \
            f'data/synthetic_v{args.generator_version}'
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    params = dict(
        seed=args.seed,
        style_shift=args.style_shift,
        layout_shift=args.layout_shift,
        height=args.height,
        width=args.width,
        num_source_clips=args.num_source_clips,
        num_target_train_clips=args.num_target_train_clips,
        num_target_val_clips=args.num_target_val_clips,
        clip_length=args.clip_length,
        annotation_interval=args.annotation_interval,
    )
    reused = not args.overwrite and (Path(args.out) / 'meta.json').exists()
    start = time.perf_counter()
    try:
        version, workers = args.generator_version, args.workers
        if args.overwrite:
            out = generate_synthetic_pair(
                args.out, **params, version=version, workers=workers, overwrite=True
            )
        else:
            out = ensure_synthetic_pair(args.out, **params, version=version, workers=workers)
    except (FileExistsError, ValueError, TypeError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    resolved = SyntheticPairParams(**params)
    how = (
        'reused (same parameters, nothing rewritten)' if reused else f'generated in {seconds:.1f} s'
    )
    print(f'synthetic pair in {out.resolve()}: {how}')
    for domain, split in SPLITS:
        n = resolved.num_clips(domain, split)
        labelled = len(resolved.labelled_frames(domain))
        print(
            f'  {domain}/{split}: {n} clips, {n * resolved.clip_length} frames, '
            f'{n * labelled} labelled, '
            f'{resolved.height}x{resolved.width}'
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
