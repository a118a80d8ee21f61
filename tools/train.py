"""Train an adaptor: ``python tools/train.py CONFIG [--work-dir D] [--resume] [--cfg-options k=v ...]``."""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmengine.runner.checkpoint import find_latest_checkpoint  # noqa: E402

from uda_toolbox import register_all_modules  # noqa: E402
from uda_toolbox.datasets.errors import DataError  # noqa: E402
from uda_toolbox.utils import allow_toolbox_checkpoint_globals  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a UDA adaptor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and checkpoints '
                        '(default: work_dirs/<method>_<config name>)')
    parser.add_argument('--resume', action='store_true',
                        help='resume from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, e.g. model.target_bn=True')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def default_work_dir(config_path: str) -> str:
    """``configs/vat/viper2cityscapes.py`` -> ``work_dirs/vat_viper2cityscapes``.

    Every method keeps configs named after the data (synthetic.py, viper2cityscapes.py),
    so the method's folder is part of the name.
    """
    method = osp.basename(osp.dirname(osp.abspath(config_path)))
    return osp.join('work_dirs', f'{method}_{osp.splitext(osp.basename(config_path))[0]}')


WORK_DIR_TOKEN = '{work_dir}'


def substitute_work_dir(value, work_dir: str):
    """Replace the token ``{work_dir}`` in every string of a config value (nested dicts, lists).

    Lets a config name files inside the run's own work dir, whichever it is (``--work-dir``,
    the benchmark's run dir or the default), e.g. the self-training configs'
    ``pseudo_label_dir='{work_dir}/pseudo_labels'``.
    """
    if isinstance(value, str):
        return value.replace(WORK_DIR_TOKEN, work_dir)
    if isinstance(value, dict):
        for key in list(value.keys()):
            value[key] = substitute_work_dir(value[key], work_dir)
        return value
    if isinstance(value, (list, tuple)):
        items = [substitute_work_dir(item, work_dir) for item in value]
        return type(value)(items) if isinstance(value, tuple) else items
    return value


def build_config(args: argparse.Namespace) -> Config:
    if not osp.isfile(args.config):
        raise SystemExit(f'Config file {args.config!r} does not exist.')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(args.config)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    cfg.resume = args.resume
    if args.resume and cfg.get('load_from'):
        # ``load_from`` in our configs is the *initial weights* of a method started from another
        # one's checkpoint (CBST from source-only, VST from VAT, ...). mmengine would resume from
        # that file (its optimizer state and iteration count) when --resume is given: resume from
        # this run's own latest checkpoint instead, or, if it has none yet, start afresh from
        # those weights.
        if find_latest_checkpoint(cfg.work_dir) is not None:
            cfg.load_from = None
        else:
            cfg.resume = False
    substitute_work_dir(cfg._cfg_dict, cfg.work_dir)
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    allow_toolbox_checkpoint_globals()
    cfg = build_config(args)
    try:
        runner = Runner.from_cfg(cfg)
        runner.train()
    except DataError as exc:
        # A dataset is missing or malformed: its message names the path and the preparation
        # command, which is all the user needs (no stack trace).
        raise SystemExit(f'Data error: {exc}') from None


if __name__ == '__main__':
    main()
