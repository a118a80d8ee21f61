"""Check, convert and index a Cityscapes-VPS tree (docs/data.md, "VIPER and Cityscapes-VPS").

From the repository root, in this order (after the release's own preparation steps)::

    python tools/data/cityscapes_vps.py verify data/cityscapes_vps \\
        --sequence-root data/cityscapes/leftImg8bit_sequence/val [--workers 8]
    python tools/data/cityscapes_vps.py convert data/cityscapes_vps [--workers 8]
    python tools/data/cityscapes_vps.py index data/cityscapes_vps     # after adding/removing files
    python tools/data/compute_flow.py data/cityscapes_vps/train \
        --sequence-root data/cityscapes/leftImg8bit_sequence/val      # VST only: train/flow/

``convert`` maps ``<split>/labelmap`` (Cityscapes trainIds; ``--from cls`` reads the colour
``<split>/cls`` PNGs instead) to ``<split>/cls15`` (the 15 classes, same file names), skips files
already converted, writes atomically (rerun to resume) and ends by writing ``<split>/index.json``.
Exit status 1 when a problem is found. The work is done by ``uda_toolbox.data_prep.cityscapes_vps``.
"""
import sys
from pathlib import Path

try:
    import uda_toolbox  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from uda_toolbox.data_prep.cityscapes_vps import convert, verify, write_index  # noqa: E402
from uda_toolbox.data_prep.report import print_report, tool_parser  # noqa: E402
from uda_toolbox.datasets.cityscapes_vps import RAW_LABEL_DIR  # noqa: E402


def parse_args(argv=None):
    parser, subs = tool_parser(
        __doc__.split('\n')[0],
        dict(verify='check the tree and print a report',
             convert='convert labelmap (or cls) labels to 15-class cls15, then index',
             index='write <split>/index.json'),
        root_help='Cityscapes-VPS root (holding train/, val/)')
    subs['verify'].add_argument(
        '--sequence-root', help='Cityscapes leftImg8bit_sequence/val (frames of the train clips)')
    subs['verify'].add_argument('--every', type=int, default=1,
                                help='check every n-th unannotated frame (default: 1, all)')
    subs['convert'].add_argument('--from', dest='source', choices=['auto', RAW_LABEL_DIR, 'cls'],
                                 default='auto', help='label source (default: labelmap if present)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == 'index':
        for path in write_index(args.root, args.splits):
            print(f'wrote {path}')
        return 0
    if args.command == 'verify':
        return print_report(verify(args.root, args.sequence_root, args.splits, args.workers,
                                   args.every))
    return print_report(convert(args.root, args.splits, args.workers, args.source, args.overwrite))


if __name__ == '__main__':
    sys.exit(main())
