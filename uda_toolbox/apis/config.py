"""Configs as the tools use them: loading, the default work dir, ``{work_dir}``, runtime hooks.

``build_train_config`` / ``build_test_config`` give a config ready for ``build_runner``; the
pieces are public so scripts and notebooks can do what ``tools/train.py`` does.
"""
import ast
import copy
import difflib
import os.path as osp
from typing import Any, Dict, List, Optional

from mmengine.config import Config

from uda_toolbox.apis.checkpoints import latest_checkpoint, require_checkpoint
from uda_toolbox.apis.config_check import top_level_keys
from uda_toolbox.apis.errors import ConfigError
from uda_toolbox.apis.schedule import describe_changes, pop_run_length, set_max_iters
from uda_toolbox.registry import MODELS
from uda_toolbox.utils.checkpoint import CheckpointError
from uda_toolbox.utils.io import path_problem

WORK_DIR_TOKEN = '{work_dir}'
PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Where a relative config path is looked up after the current directory: the configs shipped in
#: the installed package (``uda_toolbox/.mim/configs``, as mmseg ships its own; setup.py copies
#: them there when the wheel is built) and the repository a source checkout imports from.
CONFIG_ROOTS = (osp.join(PACKAGE_DIR, '.mim'), osp.dirname(PACKAGE_DIR))


def find_config(path: str) -> str:
    """The config file ``path`` names: as given (relative to the current directory), else inside
    the installed package or the repository (``configs/vat/viper2cityscapes.py`` works for a
    ``pip install`` user in any directory; so does ``vat/viper2cityscapes.py``).

    Raises:
        SystemExit: no such file, naming the places looked at.
    """
    if osp.isfile(path):
        return path
    relative = osp.normpath(path)
    if not osp.isabs(relative):
        names = [relative] if relative.startswith('configs' + osp.sep) else [
            relative, osp.join('configs', relative)]
        for root in CONFIG_ROOTS:
            for name in names:
                if osp.isfile(osp.join(root, name)):
                    return osp.join(root, name)
    problem = path_problem(path)
    if problem != 'does not exist':  # a broken link or a link loop: say so
        raise SystemExit(f'Config file {path!r} {problem}.')
    raise SystemExit(f'Config file {path!r} does not exist (looked in the current directory and '
                     f'in the configs shipped with uda_toolbox: {", ".join(CONFIG_ROOTS)}).')


# Top-level config keys that code reads at run time (the Runner's arguments and the toolbox's own
# keys, listed once in config_check). An override of any other top-level key would change nothing
# unless the config declares it in config_variables or it is a shortcut name: see apply_cfg_options.
RUNTIME_KEYS = frozenset(top_level_keys())


def load_config(path: str) -> Config:
    """``Config.fromfile`` of :func:`find_config`'s file, without yapf re-formatting of the text.

    mmengine formats the whole config on every log / dump of it and for every checkpoint's meta
    (about 2-3 s each on 2 cores); the text stays valid Python without it. mmengine 0.10.7's
    ``fromfile(format_python_code=False)`` only applies it to lazy-import configs, hence the
    attribute is set here.
    """
    cfg = Config.fromfile(find_config(path), format_python_code=False)
    object.__setattr__(cfg, '_format_python_code', False)
    return cfg


def config_description(path: str) -> str:
    """The one-line ``description = '...'`` that the config file ``path`` sets itself.

    Every method config states in one line what it runs (e.g. ``'VAT Table 3 (2): image
    discriminator, no Dice'``), so that a benchmark prints row descriptions taken from the very
    configs it runs instead of a text that can drift from them. Only an assignment in the file
    itself counts: a description inherited through ``_base_`` describes the base, so a variant
    without its own is an error, as are a missing one and a multi-line one. The file is parsed,
    not executed (fast, and ``{{_base_.x}}`` references need no base).

    Raises:
        ValueError: naming the file and the fix.
    """
    if not osp.isfile(path):
        raise ValueError(f'Config file {path!r} does not exist.')
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), filename=path)
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == 'description'):
            value = node.value
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                raise ValueError(f'{path}: description must be a plain string literal, got '
                                 f'{ast.unparse(value)!r}.')
            text = value.value.strip()
            if not text or '\n' in text:
                raise ValueError(f'{path}: description must be one non-empty line, got {text!r}.')
            return text
    raise ValueError(f"{path} sets no top-level description = '...'. Add one line saying what it "
                     'runs (a config inheriting another must state its own: the inherited one '
                     'describes the base).')


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


def _no_effect_message(cfg: Config, key: str, head: str, existed: bool, old: Any) -> str:
    """Why ``--cfg-options key=...`` would do nothing, and what to set instead."""
    declared = sorted(cfg.get('config_variables') or {})
    offer = (f' The variables {cfg.filename} lets you override: {", ".join(declared)}.'
             if declared else '')
    if not existed:
        close = difflib.get_close_matches(head, declared + sorted(RUNTIME_KEYS | SHORTCUTS), n=2,
                                        cutoff=0.7)
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


RESIZE_TYPES = ('ClipResize', 'ClipRandomResize')
#: Top-level names of the real-data configs that stand for nested values, and where those live.
#: A config file uses the name while it is parsed, so the nested values agree with it; given in
#: ``--cfg-options`` the name would change nothing else (mmengine merges the key only), so
#: :func:`expand_cfg_shortcuts` sets the nested values too.
SCALE_SHORTCUTS = {
    'source_scale': ('train_dataloader.dataset.source.pipeline',),
    'target_scale': ('train_dataloader.dataset.target.pipeline', 'val_dataloader.dataset.pipeline',
                     'test_dataloader.dataset.pipeline'),
}
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
#: The top-level names :func:`expand_cfg_shortcuts` applies.
SHORTCUTS = frozenset(SCALE_SHORTCUTS) | {'num_workers'}


def expand_cfg_shortcuts(cfg: Config, cfg_options: Optional[dict]) -> None:
    """Apply the shortcut names of ``cfg_options`` (``--cfg-options``) to the values they stand for.

    * ``source_scale`` / ``target_scale`` = (w, h): the ``scale`` of every ``ClipResize`` /
      ``ClipRandomResize`` in the source / target training pipeline (target: also the val and
      test pipelines and ``pseudo_labels.scale``, the rounds' inference size);
    * ``num_workers``: every dataloader's ``num_workers`` (``persistent_workers`` only when > 0).

    A shortcut that finds nothing to set is an error: an override must not silently do nothing.
    """
    options = cfg_options or {}
    for name, paths in SCALE_SHORTCUTS.items():
        if name not in options:
            continue
        scale = tuple(options[name])
        found = 0
        for path in paths:
            for step in _get_path(cfg, path) or []:
                if isinstance(step, dict) and step.get('type') in RESIZE_TYPES:
                    step['scale'] = scale
                    found += 1
        if name == 'target_scale' and (cfg.get('pseudo_labels') or {}).get('scale') is not None:
            cfg.pseudo_labels.scale = scale
            found += 1
        if not found:
            raise ValueError(f'--cfg-options {name}=...: {cfg.filename} has no ClipResize in '
                             f'{", ".join(paths)} to resize; set the pipeline itself instead.')
    if 'num_workers' in options:
        workers = int(options['num_workers'])
        loaders = [cfg.get(name) for name in LOADERS if cfg.get(name) is not None]
        if not loaders:
            raise ValueError(f'--cfg-options num_workers=...: {cfg.filename} has no dataloader.')
        for loader in loaders:
            loader.num_workers = workers
            loader.persistent_workers = workers > 0


def _get_path(cfg: Config, path: str) -> Any:
    """``cfg`` at a dotted path, or None where a key is missing."""
    node = cfg
    for key in path.split('.'):
        node = node.get(key) if hasattr(node, 'get') else None
        if node is None:
            return None
    return node


def ensure_runtime_hooks(cfg: Config) -> None:
    """The custom hooks every run gets, built from the config's top-level keys.

    * ``pseudo_labels = dict(policy=..., interval=...)`` (self-training configs) becomes the
      ``PseudoLabelHook``, first in the list; the key merges through ``_base_`` like ``model``,
      so a variant config states only what differs. A config must not also list that hook.
    * ``RNGStateHook`` (exact resume) is always added, ``NaNLossHook`` unless
      ``check_finite_loss = False``, also when a config replaces ``custom_hooks``.

    * mmengine's ``CheckpointHook`` in ``default_hooks.checkpoint`` becomes the toolbox's
      ``VerifiedCheckpointHook`` (same arguments): old checkpoints are deleted only once the new
      one verifies on disk.

    Idempotent: a config processed twice keeps one hook of each.
    """
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    if isinstance(checkpoint, dict) and checkpoint.get('type') in ('CheckpointHook',
                                                                    'mmengine.CheckpointHook'):
        checkpoint['type'] = 'VerifiedCheckpointHook'

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


def resolve_load_from(value: Optional[str], key: str = 'load_from') -> Optional[str]:
    """The checkpoint file that a ``load_from`` value names.

    * a checkpoint file (or a URL, ``open-mmlab://`` ...): itself;
    * a work dir: its latest checkpoint (:func:`latest_checkpoint`);
    * a config file (``.py``): the latest checkpoint of the run that trains it, in its default work
      dir (:func:`default_work_dir`, or the ``work_dir`` the file sets). A method that starts from
      another one's model names that config (``load_from = 'configs/source_only/synthetic.py'``),
      so it takes the dependency's last checkpoint whatever its length
      (``--cfg-options train_cfg.max_iters=40`` for both).

    Raises:
        CheckpointError: a work dir or config whose run has no checkpoint yet, with the command
            that makes one (the tools print it without a traceback).
    """
    if not value or '://' in value or value.startswith(('open-mmlab:', 'torchvision:')):
        return value
    if value.endswith('.py'):
        config = find_config(value)
        work_dir = load_config(config).get('work_dir') or default_work_dir(config)
        found = latest_checkpoint(work_dir)
        if found is None:
            raise CheckpointError(
                f'{key}={value!r} names the run of that config, but its work dir {work_dir!r} has '
                f'no checkpoint yet. Train it first (python tools/train.py {value}; shorten both '
                'runs alike with --cfg-options train_cfg.max_iters=N), or point load_from at a '
                'checkpoint or work dir with --cfg-options load_from=PATH.')
        return found
    if osp.isdir(value):
        found = latest_checkpoint(value)
        if found is None:
            raise CheckpointError(
                f'{key}={value!r} is a directory without checkpoints (no last_checkpoint, no '
                'iter_<N>.pth): train that run first, or name a .pth file.')
        return found
    return value


def check_load_from(cfg: Config) -> None:
    """Resolve ``cfg.load_from`` to a checkpoint file (:func:`resolve_load_from`) and stop before
    building anything when it is missing or not a checkpoint (a message with the fix, no
    traceback)."""
    try:
        cfg.load_from = resolve_load_from(cfg.get('load_from'))
    except CheckpointError as exc:
        raise SystemExit(f'Checkpoint error: {exc}') from None
    load_from = cfg.load_from
    if load_from and '://' not in load_from and not load_from.startswith(
            ('open-mmlab:', 'torchvision:')):
        require_checkpoint(load_from, 'load_from')


def source_dataset_keys(cfg: Config) -> List[str]:
    """The config keys that define a source dataset (docs/source_free.md): every ``source`` entry
    that is set (not None) anywhere in the config (``train_dataloader.dataset.source`` of a
    ``UDADataset``, a hook's dataset...), and every top-level ``source*`` key holding a dataset
    config (``source_train`` of the UDA dataset bases)."""
    found = []

    def visit(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                sub = f'{path}.{key}' if path else str(key)
                if key == 'source' and isinstance(item, (dict, list, tuple)):
                    found.append(sub)
                else:
                    visit(item, sub)
        elif isinstance(value, (list, tuple)):
            for k, item in enumerate(value):
                visit(item, f'{path}[{k}]')

    plain = cfg.to_dict() if isinstance(cfg, Config) else dict(cfg)
    visit(plain, '')
    found += [key for key, value in plain.items()
              if key.startswith('source') and isinstance(value, dict) and 'type' in value]
    return found


def check_source_free(cfg: Config) -> None:
    """Stop before anything is built when a source-free adaptor's config defines a source dataset.

    An adaptor whose class sets ``needs_source = False`` (``adaptors/source_free.py``) adapts a
    checkpoint with target data only; its config may not name source data at all (see
    :func:`source_dataset_keys`). Other adaptors, and types not registered, are not checked.
    """
    model = cfg.get('model')
    name = model.get('type') if isinstance(model, dict) else None
    adaptor = MODELS.get(name) if isinstance(name, str) else None
    if adaptor is None or getattr(adaptor, 'needs_source', True):
        return
    keys = source_dataset_keys(cfg)
    if keys:
        raise SystemExit(
            f'Config error: {cfg.filename or "the config"}: {name} is a source-free adaptor (it '
            'adapts the checkpoint in load_from with target data only), but the config defines '
            f'a source dataset at {", ".join(keys)}. Remove it: inherit a source-free dataset '
            'base (configs/_base_/datasets/*_source_free.py, whose train dataset is '
            "UDADataset(source=None, target=...)) instead of the UDA one. docs/source_free.md")


def finish_config(cfg: Config, work_dir: Optional[str] = None,
                  config_path: Optional[str] = None) -> Config:
    """What every run needs before ``Runner.from_cfg``: the work dir (argument, the config's, or
    the default rule), ``{work_dir}`` replaced and the runtime hooks. Idempotent. (``load_from``
    is resolved later, when the run starts: :func:`check_load_from`, ``build_runner``.) A source-free
    adaptor's config that defines a source dataset stops here (:func:`check_source_free`)."""
    check_source_free(cfg)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(config_path or cfg.filename)
    substitute_work_dir(cfg._cfg_dict, cfg.work_dir)
    ensure_runtime_hooks(cfg)
    return cfg


# Keys whose value is a path: a list there means DictAction split a path at its commas.
_PATH_KEY_ENDINGS = ('_root', '_dir', '_from', '_path', '_file', 'work_dir')


def check_cfg_options(cfg: Config, cfg_options: Optional[dict]) -> None:
    """Stop with a clear message when ``--cfg-options`` split a path at its commas.

    mmengine's ``DictAction`` reads ``key=a,b`` as the list ``['a', 'b']`` (and drops spaces), so a
    path with a comma cannot be given on the command line.
    """
    for key, value in (cfg_options or {}).items():
        if not isinstance(value, (list, tuple)) or not value or \
                not all(isinstance(v, (str, int, float)) for v in value):
            continue
        current = cfg
        for part in key.split('.'):
            current = current.get(part) if isinstance(current, dict) else None
        name = key.rsplit('.', 1)[-1]
        if isinstance(current, str) or name.endswith(_PATH_KEY_ENDINGS):
            raise ConfigError(
                f'--cfg-options {key}=...: the value was split at its commas into {list(value)}, '
                f'but {key} is a path ({"now " + repr(current) if current else "a string"}). '
                "mmengine's --cfg-options reads commas as list separators (and drops spaces), so "
                f'a path with a comma cannot be given there: set {key} in a config file that '
                'inherits this one (_base_), or use a path without commas.')


def apply_cfg_options(cfg: Config, options: Optional[Dict[str, Any]]) -> Config:
    """``cfg.merge_from_dict(options)`` where every override has an effect, or a clear error.

    Every tool applies ``--cfg-options`` through this. In order: a path split at its commas is an
    error (:func:`check_cfg_options`); the options are merged; the shortcut names are applied
    (:func:`expand_cfg_shortcuts`); the config's declared variables are copied again.

    A config's top-level variables (``viper_sequences``, ``data_root``, ...) are copied into the
    dataset dicts when the config file is read, so overriding one afterwards changes nothing by
    itself. The variables a config declares in ``config_variables`` (name -> the dotted keys it
    feeds) are therefore copied again into each of those keys that the config has; any other
    top-level key that is neither a shortcut (``SHORTCUTS``) nor read at run time
    (``RUNTIME_KEYS``) is a :class:`ConfigError` naming the keys to set instead
    (docs/get_started.md, "Overriding settings"). A run length is :func:`merge_options`'s.
    """
    if not options:
        return cfg
    check_cfg_options(cfg, options)
    heads = {key.split('.', 1)[0] for key in options}
    before = {head: (head in cfg, copy.deepcopy(cfg.get(head))) for head in heads}
    cfg.merge_from_dict(options)
    expand_cfg_shortcuts(cfg, options)
    variables = cfg.get('config_variables') or {}
    for key in options:
        head = key.split('.', 1)[0]
        if head in variables:
            value = cfg[head]
            targets = [t for t in variables[head] if _set_key(cfg, t, copy.deepcopy(value))]
            if not targets:
                raise ConfigError(
                    f'--cfg-options {key}: {cfg.filename} declares {head!r} in config_variables, '
                    f'but none of the keys it feeds ({list(variables[head])}) exists in this '
                    'config; set the key you mean directly.')
        elif head not in RUNTIME_KEYS and head not in SHORTCUTS:
            raise ConfigError(_no_effect_message(cfg, key, head, *before[head]))
    return cfg


def merge_options(cfg: Config, cfg_options: Optional[dict]) -> Config:
    """``--cfg-options`` onto ``cfg``: a run length (``train_cfg.max_iters`` or ``max_iters``, or
    ``schedule_scale`` times the config's) first, scaling the whole schedule
    (:func:`uda_toolbox.apis.schedule.set_max_iters`; what changed is kept in
    ``cfg.schedule_scaled`` and logged when the run starts), then the other options (so an
    interval given explicitly wins) through :func:`apply_cfg_options` (path checks, shortcuts).
    Every tool applies overrides through this."""
    max_iters, others = pop_run_length(cfg, cfg_options)
    if max_iters is not None:
        # Kept in the config (dumped with the run) and logged by build_runner.
        cfg.schedule_scaled = describe_changes(set_max_iters(cfg, max_iters))
    if others:
        apply_cfg_options(cfg, others)
    return cfg


def check_amp_device() -> None:
    """Stop with the fix when ``--amp`` is asked for without a GPU (mmengine's AmpOptimWrapper
    asserts CUDA/NPU/MLU and would fail with a bare AssertionError)."""
    import torch
    if not torch.cuda.is_available():
        raise SystemExit('--amp: mixed precision (AmpOptimWrapper) needs a CUDA GPU, and none is '
                         'available here. Train without --amp on the CPU.')


def build_train_config(config: str, work_dir: Optional[str] = None,
                       cfg_options: Optional[dict] = None, resume: bool = False,
                       amp: bool = False, launcher: str = 'none') -> Config:
    """The config ``tools/train.py`` trains with (see its ``--help`` for each argument)."""
    if amp:
        check_amp_device()
    cfg = load_config(config)
    cfg.launcher = launcher
    merge_options(cfg, cfg_options)
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
        # this run's own newest checkpoint that verifies instead, or, if it has none yet, start
        # afresh from those weights. (mmengine resumes from ``load_from`` when both are set.)
        latest = latest_checkpoint(cfg.work_dir)
        if latest is not None:
            cfg.load_from = latest
        elif cfg.get('load_from'):
            cfg.resume = False
    return finish_config(cfg)


#: Test transforms a flip TTA pipeline can be derived around (see :func:`flip_tta_pipeline`).
TTA_LOADERS = ('LoadClipFrames',)
TTA_GEOMETRY = ('ClipResize',)
TTA_LABELS = ('LoadClipAnnotations',)
TTA_PACKERS = ('PackFrameInputs',)


def flip_tta_pipeline(test_pipeline: list, source: str = 'the test pipeline') -> list:
    """The test pipeline with each frame seen as it is and flipped horizontally (mmcv's
    ``TestTimeAug``); ``SegTTAModel`` averages the two softmax maps, the flipped one flipped back.

    Labels are loaded after the flip, so they stay unflipped for the evaluation.

    Raises:
        ValueError: a transform it does not know where to put; write ``tta_pipeline`` yourself.
    """
    loaders, geometry, labels, packers = [], [], [], []
    for step in test_pipeline:
        kind = step.get('type')
        for names, group in ((TTA_LOADERS, loaders), (TTA_GEOMETRY, geometry),
                             (TTA_LABELS, labels), (TTA_PACKERS, packers)):
            if kind in names:
                group.append(copy.deepcopy(step))
                break
        else:
            raise ValueError(f'--tta: no automatic flip augmentation around {kind!r} of {source}; '
                             'set tta_pipeline in the config (mmseg convention).')
    flips = [dict(type='ClipRandomFlip', prob=0.0), dict(type='ClipRandomFlip', prob=1.0)]
    return loaders + [dict(type='TestTimeAug', transforms=[
        *[[g] for g in geometry], flips, *[[lbl] for lbl in labels], packers])]


def use_tta(cfg: Config) -> Config:
    """Test with test-time augmentation, as mmseg's ``tools/test.py --tta``: ``tta_model``
    (default ``SegTTAModel``) around the model, ``tta_pipeline`` as the test pipeline (default:
    :func:`flip_tta_pipeline` of the config's test pipeline)."""
    pipeline = cfg.get('tta_pipeline') or flip_tta_pipeline(
        cfg.test_dataloader.dataset.pipeline, f'{cfg.filename} (test_dataloader)')
    cfg.test_dataloader.dataset.pipeline = pipeline
    tta_model = copy.deepcopy(cfg.get('tta_model') or dict(type='SegTTAModel'))
    tta_model['module'] = cfg.model
    cfg.model = tta_model
    return cfg


def build_test_config(config: str, checkpoint: str, work_dir: Optional[str] = None,
                      cfg_options: Optional[dict] = None, launcher: str = 'none',
                      tta: bool = False) -> Config:
    """The config ``tools/test.py`` evaluates ``checkpoint`` with (same work-dir rule as train).

    ``checkpoint`` may also be a work dir or a config file: its latest checkpoint
    (:func:`resolve_load_from`). ``tta``: test-time augmentation (:func:`use_tta`)."""
    cfg = load_config(config)
    cfg.launcher = launcher
    merge_options(cfg, cfg_options)
    cfg.load_from = resolve_load_from(checkpoint, key='CHECKPOINT')
    backbone = (cfg.model.get('segmentor') or {}).get('backbone') or {}
    if backbone.get('init_cfg'):  # the checkpoint holds every weight: no ImageNet file needed
        backbone.init_cfg = None
    if tta:
        use_tta(cfg)
    return finish_config(cfg, work_dir, config)
