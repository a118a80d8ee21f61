"""Hostile checkpoints for the tests: pickles that try to run code when loaded or later copied.

Each payload, if it ever ran, would create a marker file; the tests assert it never exists.
"""
import copyreg
from collections import OrderedDict

from mmengine.logging.history_buffer import HistoryBuffer


class Attr:
    """Pickles as ``getattr(target, name)`` (the ``builtins.getattr`` global)."""

    def __init__(self, target, name):
        self.target, self.name = target, name

    def __reduce__(self):
        return getattr, (self.target, self.name)


class Built:
    """Pickles as an object of ``cls`` made by NEWOBJ and given ``state`` by BUILD."""

    def __init__(self, cls, state):
        self.cls, self.state = cls, state

    @property
    def __class__(self):  # pickle checks that NEWOBJ's class is the object's own
        return self.cls

    def __reduce_ex__(self, protocol):
        return copyreg.__newobj__, (self.cls,), self.state


class Call:
    """Pickles as ``func(*args)`` through ``__reduce__`` (the classic pickle attack)."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def builtins_exec() -> Attr:
    """``getattr(getattr(getattr, '__self__'), 'exec')``: the builtins module's ``exec``."""
    return Attr(Attr(getattr, '__self__'), 'exec')


def writes(marker) -> str:
    return f'open({str(marker)!r}, "w").write("code ran")'


def deepcopy_bomb(marker, cls=HistoryBuffer) -> Built:
    """An object whose ``copy.deepcopy`` (or ``pickle.dumps``) runs ``exec``: its instance
    attribute ``__reduce_ex__`` is a bound ``dict.__getitem__`` returning ``(exec, (code,))``."""
    table = {4: (builtins_exec(), (writes(marker),))}
    return Built(cls, {'__reduce_ex__': Attr(table, '__getitem__'), 'max_length': 10})


def payloads(marker) -> dict:
    """Every way in: name -> a hostile object."""
    return {
        'getattr_chain': builtins_exec(),
        'history_buffer_bomb': deepcopy_bomb(marker),
        'ordered_dict_bomb': deepcopy_bomb(marker, OrderedDict),
        # no getattr at all: an OrderedDict whose copy would call an allow-listed class
        'ordered_dict_attribute': Built(OrderedDict, {'__deepcopy__': OrderedDict}),
        'history_buffer_extra_field': Built(HistoryBuffer, {'max_length': 3, 'extra': 1}),
        'history_buffer_method': Built(HistoryBuffer, {'statistics_methods': {
            'mean': Attr(HistoryBuffer, '__init__')}}),
        'reduce_os_system': Call(__import__('os').system, f'touch {marker}'),
    }


#: The state entries of a checkpoint that the toolbox or mmengine read, as nested paths.
ENTRIES = {
    'meta': ('meta', 'dataset_meta'),
    'state_dict': ('state_dict', 'segmentor.x'),
    'message_hub.log_scalars': ('message_hub', 'log_scalars', 'train/loss'),
    'message_hub.runtime_info': ('message_hub', 'runtime_info', 'iter'),
    'optimizer': ('optimizer', 'param_groups'),
    'param_schedulers': ('param_schedulers', 'last'),
    'pseudo_labels': ('pseudo_labels', 'policy'),
    'rng_states': ('rng_states', 'state'),
}


def nest(checkpoint: dict, path, value) -> dict:
    """Put ``value`` at ``path`` inside ``checkpoint`` (creating dicts on the way)."""
    node = checkpoint
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return checkpoint
