"""One clear-error wrapper for every tool: known user errors print what is wrong and the fix."""
import difflib
import errno
import os
import re
import tempfile
from typing import Any, Callable, List, Optional

from mmengine.config import Config
from mmengine.registry import Registry

from uda_toolbox.engine.hooks import NonFiniteLossError
from uda_toolbox.utils.checkpoint import CheckpointError
from uda_toolbox.utils.errors import DataError
from uda_toolbox.utils.io import path_problem
from uda_toolbox.utils.rounds import RoundError

# A full disk or quota, or a file size limit: what a write reports when space runs out.
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class ConfigError(ValueError):
    """A config (or --cfg-options) that cannot be right: unknown keys, values split at commas."""


class WorkDirLockedError(RuntimeError):
    """Another run holds the work dir (``uda_toolbox.apis.runner.work_dir_lock``)."""


def check_work_dir(work_dir: str) -> None:
    """Stop with a clear message unless logs and checkpoints can be written into ``work_dir``."""
    try:
        os.makedirs(work_dir, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix='.write_test_', dir=work_dir)
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        problem = path_problem(work_dir)
        reason = exc.strerror or str(exc) if problem in ('exists', 'does not exist') else \
            f'it {problem}'
        raise SystemExit(
            f'Work dir error: cannot write into {work_dir!r} ({reason}); logs and '
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


def run_with_clear_errors(cfg: Optional[Config], action: Callable[[], Any]) -> Any:
    """Run ``action`` (build the config or the runner, train or test); known user errors exit
    with a message.

    Data, checkpoint, config, work-dir, pseudo-label, full-disk and NaN-loss errors print what is
    wrong and the fix, not a stack trace; anything else propagates unchanged. ``cfg`` (None while
    the config is being built) explains unknown types.
    """
    try:
        return action()
    except ConfigError as exc:
        raise SystemExit(f'Config error: {exc}') from None
    except WorkDirLockedError as exc:
        raise SystemExit(f'Work dir error: {exc}') from None
    except DataError as exc:
        raise SystemExit(f'Data error: {worker_message(exc)}') from None
    except CheckpointError as exc:
        raise SystemExit(f'Checkpoint error: {exc}') from None
    except NonFiniteLossError as exc:
        raise SystemExit(f'Training stopped: {exc}') from None
    except RoundError as exc:
        raise SystemExit(f'Pseudo-label error: {exc}') from None
    except OSError as exc:
        if exc.errno not in _DISK_FULL:
            raise
        raise SystemExit(
            f'Disk error: {exc.strerror} while writing {exc.filename or "a file"}. Nothing '
            'incomplete was kept (checkpoints and pseudo-label rounds are written to temporary '
            'files and published only when whole and verified): free space, then continue with '
            'the same command plus --resume.') from None
    except KeyError as exc:
        message = explain_unknown_type(exc, cfg) if cfg is not None else None
        if message is None:
            raise
        raise SystemExit(f'Config error: {message}') from None
