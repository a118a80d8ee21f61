"""Check a whole config against what each registered class accepts, before anything is built.

A misspelt key otherwise ends in a ``TypeError`` traceback while the runner builds the object,
fails only when the object first uses it (``default_hooks.checkpoint.intervl`` is passed on to
``Runner.save_checkpoint`` at the first save, after training), or is silently ignored (a
top-level ``randomnes``). :func:`check_config` walks every entry the runner (and the toolbox's
``pseudo_labels``) reads, resolves each ``type`` in the registry that will build it and compares
the keys with the parameters of the class's ``__init__`` (following ``**kwargs`` up the base
classes). It reports every unknown key at once, each with the closest valid name.

What it does not judge: free-form dicts (``data_prefix``, ``backend_args``), keys of types it
cannot resolve (the runner's own unknown-type message covers those), configs consumed by
builders that take extra keys (``norm_cfg``, ``act_cfg``, ``conv_cfg``, ``init_cfg``), classes
whose ``**kwargs`` go nowhere it can follow, and top-level helper variables (only names close to
a key the runner reads are reported, e.g. ``randomnes``).
"""
import difflib
import inspect
from typing import Any, Callable, Dict, Iterable, List, Optional, Set

from mmengine.config import Config
from mmengine.registry import DefaultScope, Registry

from uda_toolbox.apis.errors import ConfigError

# Builders that accept keys of their own beside the class's (mmcv's build_norm_layer pops
# requires_grad, ...): not judged.
_UNCHECKED_KEYS = frozenset({'norm_cfg', 'act_cfg', 'conv_cfg', 'init_cfg', 'upsample_cfg',
                             'dcn', 'plugins', 'pretrained'})
# Keys the toolbox reads at the top level besides the Runner's arguments (config_variables:
# uda_toolbox.apis.config.apply_cfg_options). Add a key here when code starts to read it.
_TOOLBOX_TOP_LEVEL = frozenset({'pseudo_labels', 'check_finite_loss', 'model_wrapper_cfg', 'sync_bn',
                                'compile', 'custom_imports', 'launcher', 'gpu_ids', 'dist_params',
                                'strategy', 'cfg', 'filename', 'text',
                                # apis.schedule: iteration keys to scale, what a scaling changed
                                'schedule_keys', 'schedule_scaled',
                                # apis.config.apply_cfg_options: overridable variables
                                'config_variables'})
# Top-level keys whose value is a dict (or a list of dicts); the others hold a value.
_DICT_KEYS = frozenset({
    'model', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg', 'val_cfg',
    'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator',
    'test_evaluator', 'default_hooks', 'custom_hooks', 'data_preprocessor', 'env_cfg',
    'log_processor', 'visualizer', 'randomness', 'pseudo_labels', 'model_wrapper_cfg',
    'custom_imports', 'strategy'})
_CLOSE = 0.8


def _registries() -> Dict[str, List[Registry]]:
    """Registries (toolbox first, then mmengine's roots) by what a config entry builds."""
    import mmengine.registry as root

    import uda_toolbox.registry as toolbox
    return dict(
        model=[toolbox.MODELS], dataset=[toolbox.DATASETS], transform=[toolbox.TRANSFORMS],
        sampler=[toolbox.DATA_SAMPLERS], hook=[toolbox.HOOKS], loop=[toolbox.LOOPS],
        optimizer=[toolbox.OPTIMIZERS], optim_wrapper=[toolbox.OPTIM_WRAPPERS],
        scheduler=[toolbox.PARAM_SCHEDULERS],
        metric=[toolbox.METRICS, root.EVALUATOR], visualizer=[toolbox.VISUALIZERS],
        vis_backend=[toolbox.VISBACKENDS], log_processor=[toolbox.LOG_PROCESSORS],
        model_wrapper=[toolbox.MODEL_WRAPPERS, root.MODEL_WRAPPERS],
        policy=[toolbox.PSEUDO_LABEL_POLICIES], flow=[toolbox.FLOW_ESTIMATORS],
        function=[root.FUNCTIONS])


# What a nested key builds, whatever its parent builds (else: the parent's kind).
_NESTED_KIND = dict(policy='policy', flow='flow', dataset='dataset', label_dataset='dataset',
                    source='dataset', target='dataset', datasets='dataset', pipeline='transform',
                    transforms='transform', sampler='sampler', batch_sampler='sampler',
                    vis_backends='vis_backend', optimizer='optimizer', collate_fn='function')


def _runner_keys() -> Set[str]:
    from mmengine.runner import Runner
    return set(inspect.signature(Runner.__init__).parameters) - {'self'}


def top_level_keys() -> Set[str]:
    """Every top-level config key that something reads at run time: the Runner's arguments and
    the toolbox's own keys."""
    return _runner_keys() | _TOOLBOX_TOP_LEVEL


def _save_checkpoint_keys() -> Set[str]:
    from mmengine.runner import Runner
    return set(inspect.signature(Runner.save_checkpoint).parameters) - {'self', 'out_dir',
                                                                          'filename'}


def _kwargs_destinations() -> Dict[type, Callable[[], Set[str]]]:
    """Classes whose ``**kwargs`` go somewhere other than their base class."""
    from mmengine.hooks import CheckpointHook
    return {CheckpointHook: _save_checkpoint_keys}


def accepted_keys(obj: Any) -> Optional[Set[str]]:
    """The keyword arguments a registered class (or function) accepts; None if unknowable.

    ``**kwargs`` of a class's ``__init__`` are taken to go to its base class's ``__init__``
    (the OpenMMLab habit); a chain ending in ``object`` is closed.
    """
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        params = inspect.signature(obj).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return None
        return {p.name for p in params if p.kind is not p.VAR_POSITIONAL}
    if not inspect.isclass(obj):
        return None
    import torch.nn as nn
    destinations = _kwargs_destinations()
    keys: Set[str] = set()
    for cls in obj.__mro__:
        if cls is object or cls is nn.Module:
            return keys
        init = cls.__dict__.get('__init__')
        if init is None:
            continue
        try:
            params = list(inspect.signature(init).parameters.values())[1:]
        except (TypeError, ValueError):
            return None
        keys.update(p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return keys
        for owner, extra in destinations.items():
            if cls is owner:
                return keys | extra()
    return None


def _dataloader_keys() -> Set[str]:
    from torch.utils.data import DataLoader
    return (set(inspect.signature(DataLoader.__init__).parameters) - {'self'}) | {
        'num_batch_per_epoch'}


class _Checker:

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.registries = _registries()
        self.problems: List[str] = []
        self._reported: Set[str] = set()

    # -------------------------------------------------------------- reporting
    def unknown(self, where: str, key: str, valid: Iterable[str], owner: str) -> None:
        path = f'{where}.{key}' if where else key
        if path in self._reported:
            return
        self._reported.add(path)
        valid = sorted(v for v in valid if not v.startswith('_'))
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        hint = f'did you mean {close[0]!r}?' if close else \
            f'valid keys: {", ".join(valid[:25])}{" ..." if len(valid) > 25 else ""}'
        self.problems.append(f'{path}: {owner} has no parameter {key!r}; {hint}')

    # -------------------------------------------------------------- resolving
    def resolve(self, kind: str, name: Any) -> Any:
        if not isinstance(name, str):
            return name if callable(name) else None
        for registry in self.registries[kind]:
            try:
                found = registry.get(name)
            except Exception:  # a scope prefix naming a package that is not installed
                found = None
            if found is not None:
                return found
        return None

    # -------------------------------------------------------------- walking
    def built(self, value: Any, where: str, kind: str, default_type: Any = None,
              extra: Iterable[str] = ()) -> None:
        """An entry a registry builds: a dict with ``type``, or a list of them."""
        if isinstance(value, (list, tuple)):
            for k, item in enumerate(value):
                self.built(item, f'{where}[{k}]', kind, default_type, extra)
            return
        if not isinstance(value, dict):
            return
        type_name = value.get('type', default_type)
        if type_name is None:
            return
        obj = self.resolve(kind, type_name)
        if obj is None:
            return
        keys = accepted_keys(obj)
        owner = getattr(obj, '__name__', str(type_name))
        for key, item in value.items():
            if key in ('type', '_scope_') or key in _UNCHECKED_KEYS:
                continue
            if keys is not None and key not in keys and key not in extra:
                self.unknown(where, key, keys | set(extra), owner)
                continue
            self.nested(item, f'{where}.{key}', _NESTED_KIND.get(key, kind))

    def nested(self, value: Any, where: str, kind: str) -> None:
        """A parameter's value: judged only when it is itself a config with ``type``."""
        if isinstance(value, dict) and 'type' in value:
            self.built(value, where, kind)
        elif isinstance(value, (list, tuple)) and value and all(
                isinstance(v, dict) and 'type' in v for v in value):
            self.built(value, where, kind)
        elif isinstance(value, dict) and kind in ('scheduler', 'optim_wrapper'):
            # per-optimizer dicts of a multi-optimizer adaptor: {'segmentor': [...], ...}
            for name, item in value.items():
                self.nested(item, f'{where}.{name}', kind)

    def plain(self, value: Any, where: str, keys: Set[str], owner: str) -> None:
        """A dict the runner reads key by key (randomness, env_cfg, a dataloader)."""
        if not isinstance(value, dict):
            return
        for key in value:
            if key not in keys:
                self.unknown(where, key, keys, owner)

    def dataloader(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            return
        self.plain(value, where, _dataloader_keys(), 'the dataloader (torch DataLoader)')
        for key, kind in (('dataset', 'dataset'), ('sampler', 'sampler'),
                          ('batch_sampler', 'sampler'), ('collate_fn', 'function')):
            if key in value:
                self.nested(value[key], f'{where}.{key}', kind)

    def optim_wrapper(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            return
        if 'constructor' in value or 'type' not in value:
            # a multi-optimizer constructor: one wrapper per trained module
            for name, item in value.items():
                if isinstance(item, dict) and ('optimizer' in item or 'type' in item):
                    self.optim_wrapper(item, f'{where}.{name}')
            return
        self.built(value, where, 'optim_wrapper',
                   extra=('optimizer', 'paramwise_cfg', 'constructor'))
        if isinstance(value.get('optimizer'), dict):
            self.built(value['optimizer'], f'{where}.optimizer', 'optimizer', extra=('params',))

    def top_level(self) -> None:
        from mmengine.runner import IterBasedTrainLoop, Runner, TestLoop, ValLoop

        cfg = self.cfg._cfg_dict.to_dict() if hasattr(self.cfg, '_cfg_dict') else dict(self.cfg)
        known = top_level_keys()
        for key in cfg:
            if key.startswith('_') or key in known:
                continue
            # A helper variable (``pseudo_label_dir = '...'``) may resemble a runner key; a typo
            # holds the same kind of value as the key it misspells.
            is_dict = isinstance(cfg[key], (dict, list))
            close = [name for name in difflib.get_close_matches(key, sorted(known), n=3,
                                                                cutoff=_CLOSE)
                     if (name in _DICT_KEYS) == is_dict][:1]
            if close:
                self.problems.append(f'{key}: not a key the runner reads (it would be ignored); '
                                     f'did you mean {close[0]!r}?')
        self.built(cfg.get('model'), 'model', 'model')
        self.built(cfg.get('data_preprocessor'), 'data_preprocessor', 'model')
        for split in ('train', 'val', 'test'):
            self.dataloader(cfg.get(f'{split}_dataloader'), f'{split}_dataloader')
        loops = dict(train_cfg=IterBasedTrainLoop, val_cfg=ValLoop, test_cfg=TestLoop)
        for key, default in loops.items():
            extra = ('by_epoch',) if key == 'train_cfg' else ()
            value = cfg.get(key)
            if isinstance(value, dict) and key == 'train_cfg' and 'type' not in value and \
                    value.get('by_epoch', False):
                from mmengine.runner import EpochBasedTrainLoop
                default = EpochBasedTrainLoop
            self.built(value, key, 'loop', default_type=default, extra=extra)
        for key in ('val_evaluator', 'test_evaluator'):
            self.built(cfg.get(key), key, 'metric')
        self.optim_wrapper(cfg.get('optim_wrapper'), 'optim_wrapper')
        self.nested(cfg.get('param_scheduler'), 'param_scheduler', 'scheduler')
        hooks = cfg.get('default_hooks') or {}
        if isinstance(hooks, dict):
            for name, hook in hooks.items():
                self.built(hook, f'default_hooks.{name}', 'hook')
        generated = dict(type='PseudoLabelHook', **cfg['pseudo_labels']) \
            if isinstance(cfg.get('pseudo_labels'), dict) else None
        for k, hook in enumerate(cfg.get('custom_hooks') or []):
            if hook != generated:  # judged as ``pseudo_labels`` below
                self.built(hook, f'custom_hooks[{k}]', 'hook')
        if generated is not None:
            self.built(dict(cfg['pseudo_labels']), 'pseudo_labels', 'hook',
                       default_type='PseudoLabelHook')
        self.built(cfg.get('visualizer'), 'visualizer', 'visualizer')
        self.built(cfg.get('log_processor'), 'log_processor', 'log_processor',
                   default_type='LogProcessor')
        self.built(cfg.get('model_wrapper_cfg'), 'model_wrapper_cfg', 'model_wrapper')
        randomness = set(inspect.signature(Runner.set_randomness).parameters) - {'self'}
        self.plain(cfg.get('randomness'), 'randomness', randomness, 'Runner.set_randomness')
        self.plain(cfg.get('env_cfg'), 'env_cfg',
                   {'cudnn_benchmark', 'mp_cfg', 'dist_cfg', 'resource_limit'}, 'env_cfg')


def config_problems(cfg: Config) -> List[str]:
    """One line per unknown key of ``cfg`` (see the module doc); empty when it is clean."""
    checker = _Checker(cfg)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        checker.top_level()
    return checker.problems


def check_config(cfg: Config) -> None:
    """Raise :class:`ConfigError` listing every unknown key of ``cfg`` with the closest valid
    name; ``build_runner`` calls it before building anything."""
    problems = config_problems(cfg)
    if problems:
        raise ConfigError(
            f'{len(problems)} unknown key(s) in {cfg.filename}:\n  ' + '\n  '.join(problems)
            + '\nFix the spelling (a key merged through _base_ or --cfg-options counts too).')
