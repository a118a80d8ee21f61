"""Train an adaptor: ``python tools/train.py CONFIG [--work-dir D] [--resume] [--cfg-options k=v ...]``."""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from uda_toolbox import register_all_modules  # noqa: E402
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
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    allow_toolbox_checkpoint_globals()
    cfg = build_config(args)
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
