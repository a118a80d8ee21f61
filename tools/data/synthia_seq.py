"""Check, convert and compute the flow of SYNTHIA-Seq (SEQS-04-DAWN) for SYNTHIA-Seq ->
Cityscapes-Seq (docs/data.md, "Cityscapes-Seq benchmarks").

From the repository root, in this order (ROOT is the SEQS-04-DAWN directory)::

    python tools/data/synthia_seq.py verify data/SynthiaSeq/SEQS-04-DAWN
    python tools/data/synthia_seq.py convert data/SynthiaSeq/SEQS-04-DAWN   # -> cityscapes_seq_labels
    python tools/data/synthia_seq.py compute_flow data/SynthiaSeq/SEQS-04-DAWN   # optional

``--label-dir label`` / ``--img-dir rgb`` read DA-VSN's copies instead of the release's
``GT/LABELS/Stereo_Left/Omni_F`` / ``RGB/Stereo_Left/Omni_F``. Exit status 1 when a problem is found.
"""
import sys
from pathlib import Path

try:
    import uda_toolbox  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from uda_toolbox.data_prep import synthia_seq  # noqa: E402
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
        dict(verify='check the frames and labels the list needs',
             convert='convert the listed labels to the benchmark\'s 12 classes',
             compute_flow='write the toolbox-format flow of the snippets (bottom 120 rows cut)'),
        'the SEQS-04-DAWN directory', synthia_seq.VERIFY_OFFSETS, synthia_seq.FLOW_SCALE)
    for sub in subs.values():
        sub.add_argument('--img-dir', default=None, help='frames relative to ROOT (default: '
                         'RGB/Stereo_Left/Omni_F, or rgb when only that exists)')
        sub.add_argument('--label-dir', default=synthia_seq.RELEASE_LABEL_DIR,
                         help='raw labels relative to ROOT (default: %(default)s)')
    args = parser.parse_args(argv)
    split_list = dict(args.split_list).get('train')
    if args.command == 'verify':
        return print_report(synthia_seq.verify(
            args.root, args.workers, args.every, split_list, args.frames, args.img_dir,
            args.label_dir, None if args.any_size else synthia_seq.SYNTHIA_SEQ_NATIVE_SIZE))
    if args.command == 'convert':
        return print_report(synthia_seq.convert(args.root, args.workers, args.overwrite, split_list,
                                                args.label_dir))
    run_flow_command(lambda: synthia_seq.compute_flow(
        args.root, args.out, args.frames, args.scale, estimator_config(args), args.overwrite,
        split_list, args.img_dir, progress=print_progress))
    return 0


if __name__ == '__main__':
    sys.exit(main())
