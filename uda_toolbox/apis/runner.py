"""Build an mmengine Runner from a toolbox config, as the tools do; one training run per work dir."""
import contextlib
import datetime
import errno
import fcntl
import json
import os
import os.path as osp
import socket
import sys
import warnings
from typing import Iterator, Optional

from mmengine.config import Config
from mmengine.runner import Runner

from uda_toolbox.apis.config import finish_config, resolve_load_from
from uda_toolbox.apis.config_check import check_config
from uda_toolbox.apis.errors import WorkDirLockedError

LOCK_FILE = '.uda_toolbox.lock'
_held = {}  # real path of a work dir -> the open lock file of this process


def build_runner(cfg: Config, work_dir: Optional[str] = None) -> Runner:
    """``Runner.from_cfg`` after what every toolbox run needs (``finish_config``): a work dir,
    ``{work_dir}`` replaced, the ``pseudo_labels`` key turned into its hook, the runtime hooks;
    and the whole config checked against what each class accepts (``check_config``: every
    unknown key is reported before anything is built).

    Call ``uda_toolbox.register_all_modules()`` first (the tools do).
    """
    cfg = finish_config(cfg, work_dir)
    check_config(cfg)
    cfg.load_from = resolve_load_from(cfg.get('load_from'))
    runner = Runner.from_cfg(cfg)
    if cfg.get('schedule_scaled'):  # --cfg-options train_cfg.max_iters=N (apis.schedule)
        runner.logger.info(cfg.schedule_scaled)
    return runner


def _describe_holder(info: dict) -> str:
    if not info:
        return 'another process (it left no details)'
    return (f"process {info.get('pid')} on {info.get('host')} (started {info.get('started')}: "
            f"{info.get('command')})")


def _read_info(handle) -> dict:
    handle.seek(0)
    try:
        return json.loads(handle.read() or '{}')
    except ValueError:
        return {}


def _alive(info: dict) -> bool:
    """Whether the process a lock file names still runs (same host only; elsewhere: unknown,
    assumed alive)."""
    if info.get('host') != socket.gethostname():
        return True
    try:
        os.kill(int(info.get('pid', -1)), 0)
    except (OSError, ValueError, TypeError) as exc:
        return isinstance(exc, PermissionError)
    return True


@contextlib.contextmanager
def work_dir_lock(work_dir: str) -> Iterator[None]:
    """Hold ``<work_dir>/.uda_toolbox.lock`` while a training run writes into ``work_dir``.

    Two runs in one work dir would overwrite each other's checkpoints and pseudo labels: the
    second one stops with :class:`WorkDirLockedError` naming the process that holds the lock.
    The lock is an ``flock`` on the file, which the operating system releases when its process
    ends however it ends (a kill included), so a lock left by a dead run is stale and taken over
    (with a warning naming it). On file systems without ``flock`` the process id in the file
    decides. Re-entrant within a process; in a distributed run only rank 0 takes it.
    """
    real = osp.realpath(work_dir)
    if real in _held or int(os.environ.get('RANK', '0')) != 0:
        yield
        return
    os.makedirs(work_dir, exist_ok=True)
    handle = open(osp.join(work_dir, LOCK_FILE), 'a+')
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            previous = _read_info(handle)
        except OSError as exc:
            previous = _read_info(handle)
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS) or _alive(previous):
                raise WorkDirLockedError(
                    f'{work_dir!r} is in use by {_describe_holder(previous)}. Two runs in one work '
                    'dir overwrite each other\'s checkpoints and pseudo labels: wait for that run '
                    'to end (or stop it), or pass another --work-dir.') from None
        if previous and previous.get('pid') != os.getpid():
            warnings.warn(f'{work_dir!r}: took over the stale lock of {_describe_holder(previous)}, '
                          'which no longer runs.', stacklevel=3)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(dict(
            pid=os.getpid(), host=socket.gethostname(),
            started=datetime.datetime.now().isoformat(timespec='seconds'),
            command=' '.join(sys.argv)[:500])))
        handle.flush()
        _held[real] = handle
        try:
            yield
        finally:
            del _held[real]
            handle.seek(0)
            handle.truncate()  # released cleanly: nothing stale left behind
            handle.flush()
    finally:
        handle.close()  # closing releases the flock
