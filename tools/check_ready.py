"""List every missing prerequisite of a config at once: ``python tools/check_ready.py CONFIG``.

Data roots, split lists, VIPER's conditions file, label files, optical flow, the backbone's ImageNet
weights and the checkpoint ``load_from`` names, each with its fix (uda_toolbox.apis.check_ready).
Exit status 0 when ready, 1 otherwise.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from mmengine.config import DictAction  # noqa: E402

from uda_toolbox.apis import check_ready, readiness_report  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='List what a config needs and does not have')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--stage', choices=['train', 'test'], default='train',
                        help='train: everything; test: the test dataset only')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, as tools/train.py')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    gaps = check_ready(args.config, args.cfg_options, stage=args.stage)
    print(readiness_report(args.config, gaps))
    return 1 if gaps else 0


if __name__ == '__main__':
    sys.exit(main())
