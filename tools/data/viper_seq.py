"""Check, convert and compute the flow of VIPER for VIPER -> Cityscapes-Seq (docs/data.md,
"Cityscapes-Seq benchmarks"): the shipped list of every 10th train frame.

From the repository root, in this order::

    python tools/data/viper_seq.py verify data/viper [--workers 8]
    python tools/data/viper_seq.py convert data/viper [--workers 8]   # cls -> cityscapes_seq_labels
    python tools/data/viper_seq.py compute_flow data/viper             # optional (DA-VSN, TPS)

``convert`` maps the VIPER ids to the benchmark's 15 classes and removes the ego vehicle (as
DA-VSN does); it is resumable (rerun it) and refuses other settings unless ``--overwrite``. Exit
status 1 when a problem is found.
"""
import sys
from pathlib import Path

try:
    import uda_toolbox  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from uda_toolbox.data_prep import viper_seq  # noqa: E402
from uda_toolbox.data_prep.snippets import (  # noqa: E402
    estimator_config,
    print_progress,
    run_flow_command,
    snippet_tool_parser,
)
from uda_toolbox.data_prep.report import print_report  # noqa: E402


def main(argv=None) -> int:
    parser, subs = snippet_tool_parser(
        __doc__.split('\n')[0],
        dict(verify='check the frames and cls labels the list needs',
             convert='convert the listed cls labels to the benchmark\'s 15 classes',
             compute_flow='write the toolbox-format flow of the snippets'),
        'VIPER root (holding train/)', viper_seq.VERIFY_OFFSETS, viper_seq.FLOW_SCALE)
    subs['convert'].add_argument(
        '--keep-ego-vehicle', action='store_true',
        help='keep the ego vehicle labelled as car (default: ignored, as DA-VSN)')
    args = parser.parse_args(argv)
    lists = dict(args.split_list)
    status = 0
    for split in args.splits or ['train']:
        if args.command == 'verify':
            status |= print_report(viper_seq.verify(
                args.root, split, args.workers, args.every, lists.get(split), args.frames,
                None if args.any_size else viper_seq.VIPER_NATIVE_SIZE))
        elif args.command == 'convert':
            status |= print_report(viper_seq.convert(
                args.root, split, args.workers, not args.keep_ego_vehicle, args.overwrite,
                lists.get(split)))
        else:
            run_flow_command(lambda split=split: viper_seq.compute_flow(
                args.root, split, args.out, args.frames, args.scale, estimator_config(args),
                args.overwrite, lists.get(split), progress=print_progress), f'{split}: ')
    return status


if __name__ == '__main__':
    sys.exit(main())
