"""Convert ImageNet ResNet weights (torchvision or mmpretrain) for the real-data configs:
``python tools/convert_backbone.py SRC DST [--source auto|torchvision|mmpretrain] [--depth 50]``.

Example: ``python tools/convert_backbone.py resnet50-0676ba61.pth checkpoints/resnet50_imagenet.pth``
writes the file ``configs/_base_/models/deeplabv2_r50.py`` loads. docs/get_started.md, "Backbone
weights".
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from uda_toolbox.apis import convert_backbone_checkpoint  # noqa: E402
from uda_toolbox.utils.checkpoint import CheckpointError  # noqa: E402

SOURCES = ('auto', 'torchvision', 'mmpretrain')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert ImageNet ResNet weights for the backbone')
    parser.add_argument('src', help='torchvision or mmpretrain ResNet checkpoint (.pth)')
    parser.add_argument('dst', help='output file, e.g. checkpoints/resnet50_imagenet.pth')
    parser.add_argument('--source', choices=SOURCES, default='auto',
                        help='layout of SRC (auto: mmpretrain if its weights sit under backbone.)')
    parser.add_argument('--depth', type=int, default=50,
                        help='check the result against mmseg ResNet of this depth (0: no check)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        counts = convert_backbone_checkpoint(args.src, args.dst, args.source, args.depth or None)
    except CheckpointError as exc:
        raise SystemExit(f'{args.src}: {exc}') from None
    print(f'{args.dst}: {counts["tensors"]} tensors, {counts["parameters"]:,} parameters')
    return 0


if __name__ == '__main__':
    sys.exit(main())
