"""Configs as the tools use them: loading, the default work dir, ``{work_dir}``, runtime hooks.

``build_train_config`` / ``build_test_config`` give a config ready for ``build_runner``; the
pieces are public so scripts and notebooks can do what ``tools/train.py`` does.
"""
import copy
import difflib
import inspect
import os.path as osp
from typing import Any, Dict, List, Optional

from mmengine.config import Config
from mmengine.runner import Runner

from uda_toolbox.apis.checkpoints import last_checkpoint_pointer, latest_checkpoint

WORK_DIR_TOKEN = '{work_dir}'
# Top-level config keys that code reads at run time: mmengine's Runner (its arguments, plus what it
# reads from the config while building: model_wrapper_cfg, sync_bn, compile) and this toolbox
# (apis: pseudo_labels, check_finite_loss; config_variables). Add a key here when code starts to
# read it from the config. An override of any other top-level key would change nothing: see
# apply_cfg_options.
RUNTIME_KEYS = frozenset(
    set(inspect.signature(Runner.__init__).parameters) - {'self', 'cfg'}
    | {'model_wrapper_cfg', 'sync_bn', 'compile', 'pseudo_labels', 'check_finite_loss',
       'config_variables'})


def load_config(path: str) -> Config:
    """``Config.fromfile`` without yapf re-formatting of the config text.

    mmengine formats the whole config on every log / dump of it and for every checkpoint's meta
    (about 2-3 s each on 2 cores); the text stays valid Python without it. mmengine 0.10.7's
    ``fromfile(format_python_code=False)`` only applies it to lazy-import configs, hence the
    attribute is set here.
    """
    if not osp.isfile(path):
        raise SystemExit(f'Config file {path!r} does not exist.')
    cfg = Config.fromfile(path, format_python_code=False)
    object.__setattr__(cfg, '_format_python_code', False)
    return cfg


def _set_key(cfg: Config, path: str, value: Any) -> bool:
    """Set the dotted key ``path`` (list items by index) if its parent exists; True if it did."""
    *parents, last = path.split('.')
    node: Any = cfg._cfg_dict
    for part in parents:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    if isinstance(node, dict):
        node[last] = value
        return True
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
        return True
    return False


def _keys_holding(value: Any, node: Any, prefix: str = '') -> List[str]:
    """Dotted keys below ``node`` whose value equals ``value``."""
    found = []
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, (list, tuple)) else ())
    for key, item in items:
        path = f'{prefix}.{key}' if prefix else str(key)
        if item == value:
            found.append(path)
        else:
            found.extend(_keys_holding(value, item, path))
    return found


def apply_cfg_options(cfg: Config, options: Optional[Dict[str, Any]]) -> Config:
    """``cfg.merge_from_dict(options)`` where every override has an effect, or a clear error.

    A config's top-level variables (``viper_sequences``, ``data_root``, ...) are copied into the
    dataset dicts when the config file is read, so overriding one afterwards changes nothing by
    itself. The variables a config declares in ``config_variables`` (name -> the dotted keys it
    feeds) are therefore copied again into each of those keys that the config has; any other
    top-level key that nothing reads at run time (``RUNTIME_KEYS``) is an error naming the keys to
    set instead (docs/get_started.md, "Overriding settings").
    """
    if not options:
        return cfg
    heads = {key.split('.', 1)[0] for key in options}
    before = {head: (head in cfg, copy.deepcopy(cfg.get(head))) for head in heads}
    cfg.merge_from_dict(options)
    variables = cfg.get('config_variables') or {}
    for key in options:
        head = key.split('.', 1)[0]
        if head in variables:
            value = cfg[head]
            targets = [t for t in variables[head] if _set_key(cfg, t, copy.deepcopy(value))]
            if not targets:
                raise SystemExit(
                    f'Config error: --cfg-options {key}: {cfg.filename} declares {head!r} in '
                    f'config_variables, but none of the keys it feeds ({list(variables[head])}) '
                    'exists in this config; set the key you mean directly.')
        elif head not in RUNTIME_KEYS:
            raise SystemExit(f'Config error: {_no_effect_message(cfg, key, head, *before[head])}')
    return cfg


def _no_effect_message(cfg: Config, key: str, head: str, existed: bool, old: Any) -> str:
    """Why ``--cfg-options key=...`` would do nothing, and what to set instead."""
    declared = sorted(cfg.get('config_variables') or {})
    offer = (f' The variables {cfg.filename} lets you override: {", ".join(declared)}.'
             if declared else '')
    if not existed:
        close = difflib.get_close_matches(head, declared + sorted(RUNTIME_KEYS), n=2, cutoff=0.7)
        hint = f' Did you mean {" or ".join(repr(c) for c in close)}?' if close else ''
        return (f'--cfg-options {key}: {cfg.filename} has no top-level key {head!r} and nothing '
                f'reads one, so the override would change nothing.{hint}{offer}')
    # Where the old value was copied to. A number or None is everywhere: there only keys of the
    # variable's own name count (tau -> train_dataloader.dataset.source.tau).
    common = old is None or isinstance(old, (bool, int, float))
    uses = [k for k in _keys_holding(old, cfg._cfg_dict)
            if k.split('.', 1)[0] in RUNTIME_KEYS and (not common or k.rsplit('.', 1)[-1] == head)]
    those = 'that key' if len(uses) == 1 else 'those keys'
    where = (f' Its value went to {", ".join(uses[:4])}: set {those} instead (e.g. --cfg-options '
             f'{uses[0]}=...).' if uses else
             ' Override the nested key that uses it instead (e.g. '
             'train_dataloader.dataset.source.<key>=...).')
    return (f'--cfg-options {key}: {head!r} is a variable of {cfg.filename}; its value was copied '
            'into the settings that use it when the file was read, so overriding it afterwards '
            f'would change nothing.{where}{offer}')


def default_work_dir(config_path: str) -> str:
    """``configs/vat/viper2cityscapes.py`` -> ``work_dirs/vat_viper2cityscapes``.

    Every method keeps configs named after the data (synthetic.py, viper2cityscapes.py),
    so the method's folder is part of the name.
    """
    method = osp.basename(osp.dirname(osp.abspath(config_path)))
    return osp.join('work_dirs', f'{method}_{osp.splitext(osp.basename(config_path))[0]}')


def substitute_work_dir(value: Any, work_dir: str) -> Any:
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


def ensure_runtime_hooks(cfg: Config) -> None:
    """The custom hooks every run gets, built from the config's top-level keys.

    * ``pseudo_labels = dict(policy=..., interval=...)`` (self-training configs) becomes the
      ``PseudoLabelHook``, first in the list; the key merges through ``_base_`` like ``model``,
      so a variant config states only what differs. A config must not also list that hook.
    * ``RNGStateHook`` (exact resume) is always added, ``NaNLossHook`` unless
      ``check_finite_loss = False``, also when a config replaces ``custom_hooks``.

    Idempotent: a config processed twice keeps one hook of each.
    """
    wanted = dict(NaNLossHook=bool(cfg.get('check_finite_loss', True)), RNGStateHook=True)
    hooks = [h for h in (cfg.get('custom_hooks') or [])
             if not (isinstance(h, dict) and wanted.get(h.get('type')) is False)]
    pseudo_labels = cfg.get('pseudo_labels')
    if pseudo_labels is not None:
        generated = dict(type='PseudoLabelHook', **pseudo_labels)
        listed = [h for h in hooks if isinstance(h, dict) and h.get('type') == 'PseudoLabelHook']
        if not listed:
            hooks.insert(0, generated)
        elif listed != [generated]:
            raise ValueError(f'{cfg.filename}: the config sets pseudo_labels and also lists a '
                             'PseudoLabelHook in custom_hooks; keep only pseudo_labels '
                             '(docs/pseudo_labels.md).')
    present = {h.get('type') for h in hooks if isinstance(h, dict)}
    cfg.custom_hooks = hooks + [dict(type=name) for name, on in wanted.items()
                                if on and name not in present]


def finish_config(cfg: Config, work_dir: Optional[str] = None,
                  config_path: Optional[str] = None) -> Config:
    """Set the work dir (argument, the config's, or the default rule), replace ``{work_dir}`` and
    add the runtime hooks: what every run needs before ``Runner.from_cfg``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(config_path or cfg.filename)
    substitute_work_dir(cfg._cfg_dict, cfg.work_dir)
    ensure_runtime_hooks(cfg)
    return cfg


def build_train_config(config: str, work_dir: Optional[str] = None,
                       cfg_options: Optional[dict] = None, resume: bool = False,
                       amp: bool = False, launcher: str = 'none') -> Config:
    """The config ``tools/train.py`` trains with (see its ``--help`` for each argument)."""
    cfg = load_config(config)
    cfg.launcher = launcher
    apply_cfg_options(cfg, cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(config)
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    cfg.resume = resume
    if resume:
        # ``load_from`` in our configs is the *initial weights* of a method started from another
        # one's checkpoint (CBST from source-only, VST from VAT, ...). mmengine would resume from
        # that file (its optimizer state and iteration count) when --resume is given: resume from
        # this run's own latest checkpoint instead, or, if it has none yet, start afresh from
        # those weights. (mmengine resumes from ``load_from`` when both are set.)
        latest = latest_checkpoint(cfg.work_dir)
        if latest is not None:
            # None: mmengine finds it through last_checkpoint itself.
            cfg.load_from = None if latest == last_checkpoint_pointer(cfg.work_dir) else latest
        elif cfg.get('load_from'):
            cfg.resume = False
    return finish_config(cfg)


def build_test_config(config: str, checkpoint: str, work_dir: Optional[str] = None,
                      cfg_options: Optional[dict] = None, launcher: str = 'none') -> Config:
    """The config ``tools/test.py`` evaluates ``checkpoint`` with (same work-dir rule as train)."""
    cfg = load_config(config)
    cfg.launcher = launcher
    apply_cfg_options(cfg, cfg_options)
    finish_config(cfg, work_dir, config)
    cfg.load_from = checkpoint
    return cfg
