"""What a benchmark result was computed from, so that a stale result is never reused silently.

A job's fingerprint has three parts, each stored in ``<run dir>/fingerprint.json`` when the job
starts and compared before its result is reused:

* ``config``: the job's resolved config (the config file with its ``_base_`` chain, the row's and
  the command line's ``--cfg-options``, the seed), flattened to ``key: value`` lines, so a
  mismatch names the keys that changed; ``load_from``, ``work_dir`` and the description are
  left out (:data:`IGNORED_KEYS`), the dependency's own fingerprint stands for the model it
  starts from;
* ``code``: a digest of the package's and the tools' Python sources (and the git commit, for
  people to read, when the code is a git checkout);
* ``data``: a digest of the names, sizes and modification times of the files under every data
  root the config reads (a regenerated or re-converted dataset changes it). It is a walk of the
  directory trees, once per root and benchmark invocation.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import subprocess
from typing import Any, Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction

from uda_toolbox.apis.config import load_config, merge_options

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
FINGERPRINT_FILE = 'fingerprint.json'
#: Config keys that do not change what a run computes: its own paths, how it was launched, the
#: log line of a scaled schedule and the one-line description.
IGNORED_KEYS = ('load_from', 'work_dir', 'resume', 'launcher', 'schedule_scaled', 'description')
#: Config keys whose string value is a data directory.
DATA_ROOT_SUFFIX = 'data_root'


def parse_options(options: Sequence[str]) -> Dict[str, Any]:
    """``['k=v', ...]`` as ``--cfg-options`` reads them (mmengine's ``DictAction``)."""
    if not options:
        return {}
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


def resolved_config(config: str, options: Sequence[str]) -> Config:
    """The config a job trains with: the file and ``options`` merged as ``tools/train.py`` does."""
    cfg = load_config(config)
    merge_options(cfg, parse_options(options))
    return cfg


def flatten(value: Any, prefix: str = '') -> Dict[str, str]:
    """``{'a.b': '1', 'c[0].type': "'X'"}``: every leaf of nested dicts and lists, as ``repr``."""
    if isinstance(value, dict):
        items = {}
        for key in sorted(value, key=str):
            items.update(flatten(value[key], f'{prefix}.{key}' if prefix else str(key)))
        return items
    if isinstance(value, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in value):
        items = {}
        for k, item in enumerate(value):
            items.update(flatten(item, f'{prefix}[{k}]'))
        return items
    return {prefix: repr(list(value) if isinstance(value, tuple) else value)}


def config_entries(cfg: Config) -> Dict[str, str]:
    """The flattened resolved config without :data:`IGNORED_KEYS`."""
    plain = cfg.to_dict()
    for key in IGNORED_KEYS:
        plain.pop(key, None)
    plain.pop('filename', None)
    return flatten(plain)


def digest(entries: Any) -> str:
    return hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()[:16]


_CODE: Dict[str, dict] = {}


def code_version(package_dir: str = PACKAGE_DIR, tools_dir: Optional[str] = None) -> dict:
    """``{'digest': ..., 'commit': ...}`` of ``uda_toolbox/**/*.py`` and ``tools/**/*.py``.

    The digest covers the sources themselves, so uncommitted edits count; the commit (None
    outside a git checkout) only helps a person find the version.
    """
    key = f'{package_dir}|{tools_dir}'
    if key not in _CODE:
        sha = hashlib.sha256()
        for root in [package_dir, tools_dir] if tools_dir else [package_dir]:
            files = []
            for folder, dirs, names in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not d.startswith('.') and d != '__pycache__')
                files += [osp.join(folder, n) for n in names if n.endswith('.py')]
            for path in sorted(files):
                sha.update(osp.relpath(path, root).encode() + b'\0')
                with open(path, 'rb') as f:
                    sha.update(f.read() + b'\0')
        try:
            commit = subprocess.run(['git', '-C', package_dir, 'rev-parse', 'HEAD'],
                                    capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            commit = ''
        _CODE[key] = dict(digest=sha.hexdigest()[:16], commit=commit or None)
    return _CODE[key]


def data_roots(cfg: Config) -> List[str]:
    """Every ``*data_root`` string of the resolved config (datasets, pseudo-label ground truth)."""
    return sorted({v.strip("'") for k, v in config_entries(cfg).items()
                   if k.rsplit('.', 1)[-1].endswith(DATA_ROOT_SUFFIX) and v.startswith("'")})


_DATA: Dict[str, str] = {}


def data_version(root: str) -> str:
    """Digest of the relative names, sizes and modification times of the files under ``root``
    (``'missing'`` when it does not exist); cached for the process."""
    real = osp.realpath(root)
    if real not in _DATA:
        if not osp.isdir(real):
            _DATA[real] = 'missing'
        else:
            sha = hashlib.sha256()
            for folder, dirs, names in os.walk(real, followlinks=True):
                dirs.sort()
                for name in sorted(names):
                    path = osp.join(folder, name)
                    try:
                        stat = os.stat(path)
                    except OSError:
                        continue
                    sha.update(f'{osp.relpath(path, real)}\0{stat.st_size}\0'
                               f'{stat.st_mtime_ns}\n'.encode())
            _DATA[real] = sha.hexdigest()[:16]
    return _DATA[real]


def job_fingerprint(config: str, options: Sequence[str], dependency: Optional[dict] = None,
                    tools_dir: Optional[str] = None) -> dict:
    """The fingerprint of a job that trains ``config`` with ``options`` (``k=v`` strings)."""
    cfg = resolved_config(config, options)
    entries = config_entries(cfg)
    return dict(
        config_file=config, config_digest=digest(entries), config=entries,
        code=code_version(tools_dir=tools_dir),
        data={root: data_version(root) for root in data_roots(cfg)},
        depends=None if dependency is None else dict(
            config_digest=dependency['config_digest'], data=dependency['data'],
            depends=dependency.get('depends')))


def unreadable_fingerprint(config: str, error: BaseException) -> dict:
    """The fingerprint of a job whose config cannot be resolved (never equal to a real one)."""
    entries = {'<unreadable>': f'{type(error).__name__}: {error}'}
    return dict(config_file=config, config_digest=digest(entries), config=entries,
                code=code_version(), data={}, depends=None)


def differences(stored: Optional[dict], current: dict, limit: int = 6) -> List[str]:
    """Why ``stored`` (None: no fingerprint was stored) does not describe the job ``current``
    describes: one short reason per differing part; empty when they match."""
    if stored is None:
        return ['no fingerprint stored with the result (a run of an earlier version)']
    reasons = []
    if stored.get('config_digest') != current['config_digest']:
        old, new = stored.get('config') or {}, current['config']
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        shown = [f'{k}: {old.get(k, "(unset)")} -> {new.get(k, "(unset)")}' for k in keys[:limit]]
        more = f' and {len(keys) - limit} more' if len(keys) > limit else ''
        reasons.append(f'config changed ({"; ".join(shown)}{more})')
    if (stored.get('code') or {}).get('digest') != current['code']['digest']:
        was, now = (stored.get('code') or {}).get('commit'), current['code']['commit']
        where = f' (commit {was} -> {now})' if was and now and was != now else ''
        reasons.append(f'code changed{where}')
    if stored.get('data') != current['data']:
        roots = sorted(r for r in set(stored.get('data') or {}) | set(current['data'])
                       if (stored.get('data') or {}).get(r) != current['data'].get(r))
        reasons.append(f'data changed under {", ".join(roots)}')
    if stored.get('depends') != current['depends']:
        reasons.append('the run it starts from (depends) changed')
    return reasons


def read_fingerprint(run_dir: str) -> Optional[dict]:
    path = osp.join(run_dir, FINGERPRINT_FILE)
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError:
        return None
