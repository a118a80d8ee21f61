"""One knob for the length of a run: every iteration count of a schedule follows ``max_iters``.

``--cfg-options train_cfg.max_iters=40`` (or the shortcut ``max_iters=40``) gives a 40-iteration
run of the same schedule compressed: the learning-rate schedule ends at 40, validation, checkpoints
and pseudo-label rounds keep their number (a run with 2 rounds still has 2) and the log interval
shrinks so the run still logs. Each iteration count ``v`` of the file's schedule of length ``L``
becomes ``round(v * new / L)`` (at least 1; 0 stays 0), so values the file made equal stay equal
(IAST's round length is its LR restart period and its checkpoint interval, before and after).

Why here and not in the config files: mmengine evaluates a config file once, when it is read
(``max_iters`` is copied into ``end=max_iters`` then), and ``--cfg-options`` merges afterwards, so
an override of one variable cannot reach the values derived from it. The derivation therefore runs
on the finished config (:func:`uda_toolbox.apis.build_train_config`, or :func:`set_max_iters` in a
script); docs/get_started.md, "A shorter run".
"""
from fractions import Fraction
from typing import Any, Dict, List, Optional, Tuple

from mmengine.config import Config

#: Iteration-valued arguments of mmengine's parameter schedulers (by_epoch=False).
SCHEDULER_KEYS = ('begin', 'end', 'T_max', 'step_size', 'total_steps')
SCHEDULER_LIST_KEYS = ('milestones', 'periods')
#: mmengine's default ``end`` of a scheduler (mmengine.optim.scheduler.param_scheduler.INF).
SCHEDULER_INF = int(1e9)
#: Iteration intervals that scale with the run (the logger's only shrinks: see set_max_iters).
INTERVAL_KEYS = ('train_cfg.val_interval', 'train_cfg.val_begin',
                 'default_hooks.checkpoint.interval', 'pseudo_labels.interval')
LOG_INTERVAL_KEY = 'default_hooks.logger.interval'
#: ``--cfg-options schedule_scale=F``: every iteration count times F (:func:`pop_run_length`).
SCALE_KEY = 'schedule_scale'
#: A config may list more dotted keys that count iterations (e.g. an adaptor's warm-up length) in
#: this top-level key; they are scaled like the intervals.
EXTRA_KEYS_NAME = 'schedule_keys'

Changes = List[Tuple[str, Any, Any]]


def scale_iterations(value: int, old_length: int, new_length: int) -> int:
    """``round(value * new_length / old_length)`` in integers (halves up), at least 1 unless 0."""
    if value == 0:
        return 0
    return max(1, (2 * value * new_length + old_length) // (2 * old_length))


def _get(node: Any, path: str) -> Any:
    for key in path.split('.'):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _set(node: dict, path: str, value: Any) -> None:
    *parents, last = path.split('.')
    for key in parents:
        node = node[key]
    node[last] = value


def _schedulers(cfg: Config) -> List[Tuple[str, dict]]:
    """Every scheduler dict of ``param_scheduler`` (a dict, a list, or one list per optimizer)."""
    value = cfg.get('param_scheduler')
    if isinstance(value, dict) and 'type' not in value:  # {optimizer name: schedulers}
        groups = [(f'param_scheduler.{name}', v) for name, v in value.items()]
    else:
        groups = [('param_scheduler', value)]
    found = []
    for prefix, group in groups:
        items = [group] if isinstance(group, dict) else list(group or [])
        found += [(f'{prefix}[{k}]' if not isinstance(group, dict) else prefix, s)
                  for k, s in enumerate(items) if isinstance(s, dict)]
    return found


def set_max_iters(cfg: Config, max_iters: int) -> Changes:
    """Set ``train_cfg.max_iters`` and scale every iteration count of the schedule with it.

    Scaled: the ``by_epoch=False`` parameter schedulers (``begin``, ``end``, where
    ``max_iters + 1`` stays one past the run, ``T_max``, ``step_size``, ``total_steps``,
    ``milestones``, ``periods`` whose last period
    absorbs the rounding so they still span the schedule), ``train_cfg.val_interval`` /
    ``val_begin``, the checkpoint interval, ``pseudo_labels.interval`` and the keys listed in a
    top-level ``schedule_keys``; the logger interval only shrinks (it is for reading the log,
    not part of the method). The top-level ``max_iters`` variable, where the config has one,
    is set too.

    Args:
        cfg: A loaded config with ``train_cfg.max_iters``.
        max_iters: The new length (> 0).
    Returns:
        ``[(key, old, new), ...]`` of every value that changed, for the log.
    Raises:
        ValueError: no ``train_cfg.max_iters`` (an epoch-based config), or ``max_iters`` < 1.
    """
    old = _get(cfg._cfg_dict, 'train_cfg.max_iters')
    if not isinstance(old, int) or old < 1:
        raise ValueError(f'{cfg.filename}: train_cfg.max_iters is {old!r}; only iteration-based '
                         'configs (IterBasedTrainLoop) can be shortened with max_iters.')
    if not isinstance(max_iters, int) or isinstance(max_iters, bool) or max_iters < 1:
        raise ValueError(f'max_iters must be a positive integer, got {max_iters!r}')
    changes: Changes = []

    def scale(value: Any) -> Any:
        return scale_iterations(value, old, max_iters) if isinstance(value, int) else value

    def record(key: str, before: Any, after: Any) -> None:
        if before != after:
            changes.append((key, before, after))

    cfg.train_cfg.max_iters = max_iters
    record('train_cfg.max_iters', old, max_iters)
    if isinstance(cfg.get('max_iters'), int):
        record('max_iters', cfg.max_iters, max_iters)
        cfg.max_iters = max_iters

    for prefix, sched in _schedulers(cfg):
        if sched.get('by_epoch', True):
            continue  # epoch-based: follows the dataloader, not max_iters
        span_before = (sched.get('begin', 0), sched.get('end'))
        for key in SCHEDULER_KEYS:
            value = sched.get(key)
            if not isinstance(value, int) or value >= SCHEDULER_INF:
                continue  # mmengine's "until the end of training"
            # ``end=max_iters + 1`` (mmengine's schedulers reach their last value at end - 1):
            # stays one past the run. Other values, a horizon beyond the run included (DA-VSN's
            # poly over 250k of a 40k run), keep their proportion.
            sched[key] = max_iters + 1 if value == old + 1 else scale(value)
            record(f'{prefix}.{key}', value, sched[key])
        for key in SCHEDULER_LIST_KEYS:
            values = sched.get(key)
            if not isinstance(values, (list, tuple)) or not values:
                continue
            scaled = [scale(v) for v in values]
            begin, end = span_before
            if key == 'periods' and isinstance(end, int) and end <= old and sum(values) == end - begin:
                scaled[-1] = max(1, sched['end'] - sched.get('begin', 0) - sum(scaled[:-1]))
            sched[key] = type(values)(scaled)
            record(f'{prefix}.{key}', list(values), list(scaled))

    extra = list(cfg.get(EXTRA_KEYS_NAME) or [])
    for key in (*INTERVAL_KEYS, *extra):
        value = _get(cfg._cfg_dict, key)
        if key in extra and value is None:
            raise ValueError(f'{cfg.filename}: {EXTRA_KEYS_NAME} lists {key!r}, which the config '
                             'does not have; fix the list.')
        if isinstance(value, int):
            _set(cfg._cfg_dict, key, scale(value))
            record(key, value, scale(value))
    interval = _get(cfg._cfg_dict, LOG_INTERVAL_KEY)
    if isinstance(interval, int):
        _set(cfg._cfg_dict, LOG_INTERVAL_KEY, min(interval, scale(interval)))
        record(LOG_INTERVAL_KEY, interval, min(interval, scale(interval)))
    return changes


def pop_max_iters(options: Optional[Dict[str, Any]]) -> Tuple[Optional[int], Dict[str, Any]]:
    """The run length asked for in ``--cfg-options`` (``train_cfg.max_iters`` or the shortcut
    ``max_iters``) and the other options; both given and different is an error."""
    options = dict(options or {})
    asked = {key: options.pop(key) for key in ('max_iters', 'train_cfg.max_iters') if key in options}
    if isinstance(options.get('train_cfg'), dict) and 'max_iters' in options['train_cfg']:
        options['train_cfg'] = dict(options['train_cfg'])
        asked['train_cfg.max_iters'] = options['train_cfg'].pop('max_iters')
    values = {int(v) for v in asked.values()}
    if len(values) > 1:
        raise ValueError(f'--cfg-options gives two run lengths ({asked}); give one.')
    return (values.pop() if values else None), options


def pop_run_length(cfg: Config, options: Optional[Dict[str, Any]]
                   ) -> Tuple[Optional[int], Dict[str, Any]]:
    """The run length that ``--cfg-options`` asks for, and the other options: ``max_iters`` /
    ``train_cfg.max_iters`` (:func:`pop_max_iters`), or ``schedule_scale=F``, the config's own
    length times ``F`` (rounded, at least 1), which shortens every config of a benchmark by the
    same factor whatever its length (a 400-iteration warm-up and its 200-iteration
    self-training alike). Both given is an error."""
    max_iters, options = pop_max_iters(options)
    if SCALE_KEY not in options:
        return max_iters, options
    factor = options.pop(SCALE_KEY)
    if max_iters is not None:
        raise ValueError(f'--cfg-options gives both max_iters={max_iters} and {SCALE_KEY}='
                         f'{factor}; give one.')
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor > 0:
        raise ValueError(f'{SCALE_KEY} must be a number > 0 (e.g. 0.5 for half the schedule), '
                         f'got {factor!r}')
    old = _get(cfg._cfg_dict, 'train_cfg.max_iters')
    if not isinstance(old, int) or old < 1:
        raise ValueError(f'{cfg.filename}: train_cfg.max_iters is {old!r}; only iteration-based '
                         f'configs (IterBasedTrainLoop) can be scaled with {SCALE_KEY}.')
    # Exact decimal arithmetic: 0.5 x 400 is 200, not 199 after a float rounding.
    return max(1, int(Fraction(str(factor)) * old + Fraction(1, 2))), options


def describe_changes(changes: Changes) -> str:
    """One line for the log: ``schedule scaled to 40 iterations: a 400 -> 40, b 50 -> 5``."""
    length = next((new for key, _, new in changes if key == 'train_cfg.max_iters'), None)
    items = ', '.join(f'{key} {old} -> {new}' for key, old, new in changes
                      if key not in ('train_cfg.max_iters', 'max_iters'))
    return f'schedule scaled to {length} iterations: {items or "nothing else counts iterations"}'
