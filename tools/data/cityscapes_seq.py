"""Check Cityscapes-Seq and compute its flow for the DA-VSN / TPS benchmarks (docs/data.md,
"Cityscapes-Seq benchmarks").

From the repository root::

    python tools/data/cityscapes_seq.py verify data/cityscapes [--workers 8]
    python tools/data/cityscapes_seq.py compute_flow data/cityscapes --splits train   # VST only

There is nothing to convert: the gtFine labelIds are mapped to the benchmark's classes while
loading. Exit status 1 when verify finds a problem.
"""
import sys
from pathlib import Path

try:
    import uda_toolbox  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from uda_toolbox.data_prep import cityscapes_seq  # noqa: E402
from uda_toolbox.data_prep.snippets import (  # noqa: E402
    estimator_config,
    print_progress,
    run_flow_command,
    snippet_tool_parser,
)
from uda_toolbox.data_prep.report import print_report  # noqa: E402


def main(argv=None) -> int:
    parser, _ = snippet_tool_parser(
        __doc__.split('\n')[0],
        dict(verify='check the frames and gtFine labels the split lists need',
             compute_flow='write the toolbox-format flow of a split\'s snippets'),
        'Cityscapes root (holding leftImg8bit_sequence/ and gtFine/)',
        cityscapes_seq.VERIFY_OFFSETS, cityscapes_seq.FLOW_SCALE)
    args = parser.parse_args(argv)
    lists = dict(args.split_list)
    if args.command == 'verify':
        return print_report(cityscapes_seq.verify(
            args.root, args.splits, args.workers, args.every, lists, args.frames,
            None if args.any_size else cityscapes_seq.CITYSCAPES_NATIVE_SIZE))
    for split in args.splits or ['train']:
        run_flow_command(lambda split=split: cityscapes_seq.compute_flow(
            args.root, split, args.out, args.frames, args.scale, estimator_config(args),
            args.overwrite, lists.get(split), progress=print_progress), f'{split}: ')
    return 0


if __name__ == '__main__':
    sys.exit(main())
