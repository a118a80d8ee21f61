"""Write the class -> frame index of a config's long-tail bank (DA-STC; docs/methods/da_stc.md).

Example (from the repository root, no installation needed)::

    python tools/data/class_frame_index.py configs/da_stc/synthetic.py
    python tools/data/class_frame_index.py configs/da_stc/viper2cityscapes_seq.py --workers 8

It reads ``model.long_tail_bank.dataset`` of the config (the source frames the bank pastes
from) through that dataset's pipeline, records which frames show each class, and writes
``model.long_tail_bank.index_file`` (or ``--out``) atomically. Rerun it when the dataset changes.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout, installed or not

from mmengine.config import Config, DictAction  # noqa: E402

from uda_toolbox.apis.config import merge_options  # noqa: E402
from uda_toolbox.data_prep.class_frame_index import write_class_frame_index  # noqa: E402
from uda_toolbox.utils.errors import DataError  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a config with model.long_tail_bank (configs/da_stc/*.py)')
    parser.add_argument('--out', help='index file (default: model.long_tail_bank.index_file)')
    parser.add_argument('--workers', type=int, default=0,
                        help='dataloader workers reading the frames (default: 0, this process)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys, e.g. data_root=... (another embedded pair)')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    merge_options(cfg, args.cfg_options)  # as every tool: declared config variables included

    def progress(done: int, total: int) -> None:
        if done == total or done % 500 == 0:
            print(f'indexed {done}/{total} frames', flush=True)

    try:
        path = write_class_frame_index(cfg, args.out, args.workers, progress)
    except (DataError, KeyError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
