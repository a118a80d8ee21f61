"""Check, convert and index a VIPER tree (docs/data.md, "VIPER and Cityscapes-VPS").

From the repository root, in this order::

    python tools/data/viper.py verify data/viper [--workers 8]       # counts, missing/bad files
    python tools/data/viper.py conditions data/viper                 # template of sequence conditions
    #   confirm every guess (day? -> day once you have looked), save it as data/viper/conditions.csv
    python tools/data/viper.py convert data/viper [--workers 8]      # cls -> cls15 (15 classes) + index
    python tools/data/viper.py index data/viper                      # after adding/removing files

``convert`` skips labels already converted with the same settings, writes every file through a
temporary file (an interrupted run is resumed by running it again) and ends by writing
``<split>/index.json``; ``index`` rewrites only the index. Exit status 1 when a problem is found.
The work is done by ``uda_toolbox.data_prep.viper`` and ``viper_conditions``.
"""
import os.path as osp
import sys
from pathlib import Path

try:
    import uda_toolbox  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from uda_toolbox.data_prep.report import print_report, tool_parser  # noqa: E402
from uda_toolbox.data_prep.viper import convert, verify, write_index  # noqa: E402
from uda_toolbox.data_prep.viper_conditions import write_conditions_template  # noqa: E402
from uda_toolbox.datasets.viper import GUESS_MARK, VIPER_CONDITIONS  # noqa: E402


def parse_args(argv=None):
    parser, subs = tool_parser(
        __doc__.split('\n')[0],
        dict(verify='check the tree and print a report',
             convert='convert cls labels to 15-class cls15 labels, then index',
             index='write <split>/index.json',
             conditions='write a conditions template (marked guesses, to be confirmed)'),
        root_help='VIPER root (holding train/, val/)')
    subs['verify'].add_argument('--every', type=int, default=1,
                                help='check every n-th frame of a sequence (default: 1, all)')
    subs['convert'].add_argument('--no-pole', action='store_true',
                                 help='map id 10 "infrastructure" to 255 instead of pole')
    subs['convert'].add_argument('--keep-ego-vehicle', action='store_true',
                                 help='keep the ego vehicle labelled as car (default: ignored)')
    subs['conditions'].add_argument('--out', help='default: ROOT/conditions_template.csv')
    subs['conditions'].add_argument('--frames-per-sequence', type=int, default=3)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == 'verify':
        return print_report(verify(args.root, args.splits, args.workers, args.every))
    if args.command == 'convert':
        return print_report(convert(args.root, args.splits, args.workers,
                                    pole_from_infrastructure=not args.no_pole,
                                    ignore_ego_vehicle=not args.keep_ego_vehicle,
                                    overwrite=args.overwrite))
    if args.command == 'index':
        for path in write_index(args.root, args.splits):
            print(f'wrote {path}')
        return 0
    out = write_conditions_template(args.root, args.out, args.splits, args.frames_per_sequence)
    print(f'wrote {out}: one guessed condition ({"/".join(VIPER_CONDITIONS)}) per sequence, marked '
          f'{GUESS_MARK!r} (e.g. day{GUESS_MARK}). Look at each sequence, then confirm its condition by '
          f'removing the {GUESS_MARK!r} or correct it, and save the file as '
          f'{osp.join(args.root, "conditions.csv")}; training refuses a file with a guess left.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
