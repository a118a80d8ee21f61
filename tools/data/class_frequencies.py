"""Count the pixels of every class in every source label file, once, for rare-class sampling.

DAFormer's rare-class sampling (configs/daformer/, configs/mic/) draws source clips by these
counts (docs/methods/daformer.md). From the repository root::

    python tools/data/class_frequencies.py configs/daformer/synthetic.py
    python tools/data/class_frequencies.py configs/daformer/viper2cityscapes.py --workers 8

It builds the config's source training set (train_dataloader.dataset.source), counts its label
files and writes the file named by train_dataloader.dataset.rare_class_sampling.class_stats (or
--out). Rerun it when the source labels change.
"""
import argparse
import sys
from pathlib import Path

try:
    import uda_toolbox  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mmengine.config import Config, DictAction  # noqa: E402

from uda_toolbox import register_all_modules  # noqa: E402
from uda_toolbox.apis.config import merge_options  # noqa: E402
from uda_toolbox.data_prep.class_stats import compute_class_stats, write_class_stats  # noqa: E402
from uda_toolbox.datasets.rare_class_sampling import total_class_pixels  # noqa: E402
from uda_toolbox.registry import DATASETS  # noqa: E402
from uda_toolbox.utils.class_frame_index import index_path  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='a training config whose source set is counted')
    p.add_argument('--out', help='output JSON (default: the config\'s '
                                 'rare_class_sampling.class_stats)')
    p.add_argument('--workers', type=int, default=1, help='processes reading labels')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='override config keys, e.g. data_root=... (another embedded pair)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    register_all_modules()
    cfg = merge_options(Config.fromfile(args.config), args.cfg_options)
    dataset_cfg = cfg.train_dataloader.dataset
    out = args.out or (dataset_cfg.get('rare_class_sampling') or {}).get('class_stats')
    if not out:
        print(f'{args.config} names no train_dataloader.dataset.rare_class_sampling.class_stats; '
              'give the output file with --out', file=sys.stderr)
        return 1
    out = index_path(out, dataset_cfg.source)  # '{data_root}/...': the source's tree
    source = DATASETS.build(dataset_cfg.source)
    stats = compute_class_stats(source, workers=args.workers)
    write_class_stats(stats, out)
    pixels = total_class_pixels(stats['files'])
    total = sum(pixels.values()) or 1
    print(f'{len(stats["files"])} label files -> {out}')
    for cls, n in pixels.items():
        name = source.metainfo['classes'][cls]
        print(f'  {cls:3d} {name:<16} {100.0 * n / total:6.2f} %')
    return 0


if __name__ == '__main__':
    sys.exit(main())
