"""Train an adaptor: ``python tools/train.py CONFIG [--work-dir D] [--resume] [--cfg-options k=v ...]``."""
import argparse
import difflib
import os
import os.path as osp
import re
import sys
import tempfile
from typing import Any, Callable, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import Registry  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from uda_toolbox import register_all_modules  # noqa: E402
from uda_toolbox.datasets.errors import DataError  # noqa: E402
from uda_toolbox.engine.dist import init_cpu_process_group  # noqa: E402
from uda_toolbox.engine.hooks import NonFiniteLossError  # noqa: E402
from uda_toolbox.utils.checkpoint import (  # noqa: E402
    CheckpointError,
    check_checkpoint_file,
    setup_checkpoint_loading,
)


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
    add_unsafe_load_argument(parser)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def add_unsafe_load_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--unsafe-load', action='store_true',
                        help='load checkpoints with weights_only=False, for TRUSTED files that need '
                        'types outside the allow-list (unpickling can run code from the file); '
                        'see docs/troubleshooting.md')


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


def load_config(path: str) -> Config:
    """``Config.fromfile`` without yapf re-formatting of the config text.

    mmengine formats the whole config on every log / dump of it and for every checkpoint's meta
    (about 2-3 s each on 2 cores); the text stays valid Python without it. mmengine 0.10.7's
    ``fromfile(format_python_code=False)`` only applies it to lazy-import configs, hence the
    attribute is set here.
    """
    cfg = Config.fromfile(path, format_python_code=False)
    object.__setattr__(cfg, '_format_python_code', False)
    return cfg


def build_config(args: argparse.Namespace) -> Config:
    if not osp.isfile(args.config):
        raise SystemExit(f'Config file {args.config!r} does not exist.')
    cfg = load_config(args.config)
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
    if args.resume:
        # ``load_from`` in our configs is the *initial weights* of a method started from another
        # one's checkpoint (CBST from source-only, VST from VAT, ...). mmengine would resume from
        # that file (its optimizer state and iteration count) when --resume is given: resume from
        # this run's own latest checkpoint instead, or, if it has none yet, start afresh from
        # those weights. (mmengine resumes from ``load_from`` when both are set.)
        latest = latest_checkpoint(cfg.work_dir)
        if latest is not None:
            # None: mmengine finds it through last_checkpoint itself.
            cfg.load_from = None if latest == _last_checkpoint_pointer(cfg.work_dir) else latest
        elif cfg.get('load_from'):
            cfg.resume = False
    substitute_work_dir(cfg._cfg_dict, cfg.work_dir)
    ensure_runtime_hooks(cfg)
    return cfg


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from: the one ``last_checkpoint`` names, or else the
    newest ``iter_<N>.pth`` of the work dir (None if it has none).

    mmengine writes ``last_checkpoint`` in place after each checkpoint (not atomically) and deletes
    the oldest checkpoint *before* writing the next one, so a job killed at the wrong moment
    leaves that pointer empty or naming a deleted file while complete checkpoints remain.
    """
    named = _last_checkpoint_pointer(work_dir)
    if named and osp.isfile(named):
        return named
    steps = []
    for name in os.listdir(work_dir) if osp.isdir(work_dir) else []:
        match = re.fullmatch(r'iter_(\d+)\.pth', name)
        if match:
            steps.append((int(match.group(1)), osp.join(work_dir, name)))
    return max(steps)[1] if steps else None


def _last_checkpoint_pointer(work_dir: str) -> Optional[str]:
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        return f.read().strip()


def check_load_from(cfg: Config) -> None:
    """Stop before building anything when a local ``load_from`` is missing or not a checkpoint."""
    load_from = cfg.get('load_from')
    if not load_from or '://' in load_from or load_from.startswith(('open-mmlab:', 'torchvision:')):
        return
    try:
        check_checkpoint_file(load_from, key='load_from')
    except CheckpointError as exc:
        raise SystemExit(f'Checkpoint error: {exc}') from None


def ensure_runtime_hooks(cfg: Config) -> None:
    """Keep the custom hooks of default_runtime.py in configs that replace ``custom_hooks``.

    A config's ``custom_hooks = [...]`` replaces its base's list (the self-training configs set
    their PseudoLabelHook that way). RNGStateHook (exact resume) is always added;
    NaNLossHook unless ``check_finite_loss = False``.
    """
    wanted = dict(NaNLossHook=bool(cfg.get('check_finite_loss', True)), RNGStateHook=True)
    hooks = [h for h in (cfg.get('custom_hooks') or [])
             if not (isinstance(h, dict) and wanted.get(h.get('type')) is False)]
    present = {h.get('type') for h in hooks if isinstance(h, dict)}
    cfg.custom_hooks = hooks + [dict(type=name) for name, on in wanted.items()
                                if on and name not in present]


def check_work_dir(work_dir: str) -> None:
    """Stop with a clear message unless logs and checkpoints can be written into ``work_dir``."""
    try:
        os.makedirs(work_dir, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix='.write_test_', dir=work_dir)
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        raise SystemExit(
            f'Work dir error: cannot write into {work_dir!r} ({exc.strerror or exc}); logs and '
            'checkpoints go there. Pass --work-dir with a directory you can write, or fix its '
            'permissions (e.g. chmod u+w on it or its parent).') from None


def _type_keys(value: Any, name: str, prefix: str = '') -> List[str]:
    """Config keys (``model.discriminator.type``) whose value is the type name ``name``."""
    keys = []
    if isinstance(value, dict):
        for key, item in value.items():
            path = f'{prefix}.{key}' if prefix else str(key)
            if key == 'type' and item == name:
                keys.append(path)
            else:
                keys.extend(_type_keys(item, name, path))
    elif isinstance(value, (list, tuple)):
        for k, item in enumerate(value):
            keys.extend(_type_keys(item, name, f'{prefix}[{k}]'))
    return keys


def _registered_names(registry_name: str) -> List[str]:
    """Every name registered in the registries called ``registry_name`` (toolbox, mmseg, mmengine)."""
    import mmengine.registry as engine_registries
    import mmseg.registry as seg_registries

    import uda_toolbox.registry as toolbox_registries
    names = set()
    for module in (toolbox_registries, seg_registries, engine_registries):
        for registry in vars(module).values():
            if isinstance(registry, Registry) and registry.name == registry_name:
                names.update(registry.module_dict)
    return sorted(names)


def explain_unknown_type(exc: KeyError, cfg: Config) -> Optional[str]:
    """A message for mmengine's "X is not in the <scope>::<name> registry", or None for other errors."""
    text = str(exc.args[0]) if exc.args else ''
    match = re.match(r'(\S+) is not in the (?:(\S+)::)?(\S+) registry', text)
    if not match:
        return None
    name, scope, registry = match.groups()
    keys = _type_keys(cfg.to_dict(), name) or ['a type= entry']
    close = difflib.get_close_matches(name, _registered_names(registry), n=3, cutoff=0.6)
    hint = f' Did you mean {" or ".join(repr(c) for c in close)}?' if close else ''
    return (f"unknown type {name!r} at {', '.join(keys)} in {cfg.filename}: nothing of that name is "
            f'registered in the {registry!r} registry (scope {scope or "mmengine"!r}).{hint} Fix '
            'the spelling, or import the module that registers it (custom_imports = '
            "dict(imports=['my_package.my_module'])).")


def worker_message(exc: BaseException) -> str:
    """The error's own message, without the traceback a dataloader worker wraps around it."""
    text = str(exc)
    if 'Original Traceback' not in text:
        return text
    lines = [line for line in text.strip().splitlines() if line.strip()]
    for k in range(len(lines) - 1, -1, -1):
        if re.match(rf'^[\w.]*{type(exc).__name__}: ', lines[k]):
            return '\n'.join([lines[k].split(': ', 1)[1], *lines[k + 1:]])
    return text


def run_with_clear_errors(cfg: Config, action: Callable[[], Any]) -> Any:
    """Run ``action`` (build the runner, train or test); known user errors exit with a message.

    Data, checkpoint, config and NaN-loss errors print what is wrong and the fix, not a stack
    trace; anything else propagates unchanged.
    """
    try:
        return action()
    except DataError as exc:
        raise SystemExit(f'Data error: {worker_message(exc)}') from None
    except CheckpointError as exc:
        raise SystemExit(f'Checkpoint error: {exc}') from None
    except NonFiniteLossError as exc:
        raise SystemExit(f'Training stopped: {exc}') from None
    except KeyError as exc:
        message = explain_unknown_type(exc, cfg)
        if message is None:
            raise
        raise SystemExit(f'Config error: {message}') from None


def main(argv=None) -> None:
    args = parse_args(argv)
    init_cpu_process_group(args.launcher)  # mmengine's pytorch launcher needs CUDA
    register_all_modules(init_default_scope=False)
    setup_checkpoint_loading(unsafe=args.unsafe_load)
    cfg = build_config(args)
    check_load_from(cfg)
    check_work_dir(cfg.work_dir)

    def train():
        Runner.from_cfg(cfg).train()

    run_with_clear_errors(cfg, train)


if __name__ == '__main__':
    main()
