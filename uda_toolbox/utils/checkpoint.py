"""Loading checkpoints as untrusted input: no code runs, and what is loaded is checked.

torch >= 2.6 loads with ``weights_only=True``: its unpickler builds only allow-listed types and
calls only allow-listed functions. An mmengine checkpoint holds more than tensors: the message
hub's ``HistoryBuffer`` objects (numpy arrays of logged values, and their statistic methods,
which pickle stores as ``getattr(HistoryBuffer, 'mean')``) and numpy scalars in ``meta``.

What this module allows, and why it is safe (docs/reliability.md):

* No general-purpose callable. ``builtins.getattr`` itself must never be allowed: from any
  object it reaches any attribute (``getattr(getattr(getattr, '__self__'), 'exec')`` is
  ``exec``), and an object whose ``__reduce_ex__`` or ``__deepcopy__`` was set to such a value
  runs code when ``copy.deepcopy`` / ``pickle.dumps`` later touch it (mmengine's message hub and
  the pseudo-label hook deep-copy loaded state). The name ``builtins.getattr`` is bound instead
  to :func:`_history_buffer_statistic`, which returns one of ``HistoryBuffer``'s four statistic
  methods and refuses everything else.
* ``HistoryBuffer`` is built through :class:`_CheckedHistoryBuffer`, which accepts exactly the
  attributes mmengine writes (typed) and no others.
* After unpickling, :func:`check_plain_data` walks the whole object: containers, strings,
  numbers, plain tensors, numpy arrays (not of objects) and those buffers only; a dict or tensor
  that carries instance attributes (``__reduce_ex__`` ...) is refused.
* mmengine's ``Runner.resume`` executes ``checkpoint['meta']['config']`` (Python text) to read
  ``gpu_ids``; :func:`neutralize_config_text` replaces that text, before mmengine sees it, by a
  line the toolbox writes from the literal value (the text is parsed, never executed).
* torch's zip writer stores a CRC-32 of every record (each tensor's bytes and the pickle) when it
  saves; :func:`verify_checksums` checks them all before unpickling, so flipped bytes are an
  error instead of silently different weights (opt-out: the tools' ``--skip-checksum``).

A checkpoint that needs anything else fails with a :class:`CheckpointError` naming the type and
the opt-out for trusted files (``--unsafe-load`` of the tools); see docs/troubleshooting.md.
"""
import ast
import os
import os.path as osp
import pickle
import re
import warnings
import zipfile
from collections import Counter, OrderedDict
from typing import Any, List, Optional

import numpy as np
import torch

# numpy >= 2 moved numpy.core to numpy._core (the old name warns on access).
_multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray

# torch's own switch: makes torch.load default to weights_only=False where the caller (mmengine)
# does not pass weights_only. The tools set it for --unsafe-load.
UNSAFE_LOAD_ENV = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
UNSAFE_LOAD_HINT = ('If you trust the file, load it anyway with the tools\' --unsafe-load flag '
                    f'(or {UNSAFE_LOAD_ENV}=1 in the environment of your own script); '
                    'see docs/troubleshooting.md.')
#: ``--help`` of the tools' ``--unsafe-load`` flag.
UNSAFE_LOAD_HELP = ('load checkpoints with weights_only=False, for TRUSTED files that need types '
                    'outside the allow-list (unpickling can run code from the file); see '
                    'docs/troubleshooting.md')
#: ``--help`` of the tools' ``--skip-checksum`` flag.
SKIP_CHECKSUM_HELP = ('load checkpoints without verifying the CRC-32 checksums stored for their '
                      'tensors (e.g. to rescue a damaged file: its weights may be wrong); see '
                      'docs/troubleshooting.md')

# The attributes mmengine's HistoryBuffer pickles (its __getstate__ is its __dict__).
_HISTORY_BUFFER_FIELDS = frozenset({'max_length', '_log_history', '_count_history',
                                    'statistics_methods'})
_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')

_verify_checksums = True


#: What to do about a checkpoint that does not exist, by where its path came from.
MISSING_HINT = ('Point it at a .pth file written by tools/train.py (e.g. '
                'work_dirs/<run>/iter_<N>.pth).')
MISSING_HINTS = {
    'load_from': ("Point load_from at a .pth file written by tools/train.py (e.g. "
                  "work_dirs/<run>/iter_<N>.pth), at a run's work dir or at the config that trains it "
                  "(its latest checkpoint is taken); a method started from another one's weights "
                  'needs that run trained first.'),
    'CHECKPOINT': ('Pass a .pth file written by tools/train.py (e.g. work_dirs/<run>/iter_<N>.pth) or '
                   'the run\'s work dir (its latest checkpoint is taken); train the config first if '
                   'it has none (tools/train.py CONFIG).'),
}


class CheckpointError(RuntimeError):
    """A checkpoint is missing, is not a checkpoint, is truncated or damaged, or needs unsafe
    unpickling."""


# ----------------------------------------------------------------------------- the allow-list
def _history_buffer_statistic(owner: Any, name: Any) -> Any:
    """What ``builtins.getattr`` means inside a checkpoint: one statistic method of
    ``HistoryBuffer`` (its pickled ``statistics_methods``), nothing else."""
    from mmengine.logging.history_buffer import HistoryBuffer

    if owner in (HistoryBuffer, _CheckedHistoryBuffer) and name in _HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refused getattr({_describe(owner)}, {name!r}) in a checkpoint: only the statistic '
        f'methods {_HISTORY_BUFFER_STATISTICS} of HistoryBuffer may be named there')


def _describe(obj: Any) -> str:
    if obj is _history_buffer_statistic:
        return 'getattr'
    return getattr(obj, '__qualname__', None) or f'<{type(obj).__name__} object>'


def _checked_history_buffer_class():
    from mmengine.logging.history_buffer import HistoryBuffer

    class CheckedHistoryBuffer(HistoryBuffer):
        """Builds mmengine's ``HistoryBuffer`` from a checkpoint, accepting exactly its fields.

        Registered under HistoryBuffer's name; once the state is checked the object becomes a
        plain ``HistoryBuffer``.
        """

        def __setstate__(self, state: Any) -> None:
            _check_history_buffer_state(state)
            self.__class__ = HistoryBuffer
            HistoryBuffer.__setstate__(self, dict(state))

    CheckedHistoryBuffer.__qualname__ = CheckedHistoryBuffer.__name__ = 'CheckedHistoryBuffer'
    return CheckedHistoryBuffer


def _check_history_buffer_state(state: Any) -> None:
    from mmengine.logging.history_buffer import HistoryBuffer

    def refuse(why: str):
        raise pickle.UnpicklingError(f'refused a HistoryBuffer in a checkpoint: {why}')

    if type(state) is not dict:
        refuse(f'its state is a {type(state).__name__}, not a dict')
    unknown = sorted(map(str, set(state) - _HISTORY_BUFFER_FIELDS))
    if unknown:
        refuse(f'unknown attributes {unknown}')
    if 'max_length' in state and (type(state['max_length']) is not int or state['max_length'] < 1):
        refuse(f"max_length {state['max_length']!r} is not a positive int")
    for key in ('_log_history', '_count_history'):
        value = state.get(key)
        if value is not None and not (type(value) is np.ndarray and value.dtype.kind in 'biuf'
                                      and value.ndim == 1):
            refuse(f'{key} is not a 1-D numeric numpy array')
    methods = state.get('statistics_methods', {})
    if type(methods) is not dict or any(
            name not in _HISTORY_BUFFER_STATISTICS or method is not getattr(HistoryBuffer, name)
            for name, method in methods.items()):
        refuse('statistics_methods other than HistoryBuffer.min/max/current/mean')


_CheckedHistoryBuffer: Any = None


def toolbox_checkpoint_globals() -> List[object]:
    """What the toolbox adds to torch's ``weights_only`` allow-list: numpy arrays, scalars and
    dtypes, and the two narrow reconstructors above under the names pickle writes."""
    global _CheckedHistoryBuffer
    if _CheckedHistoryBuffer is None:
        _CheckedHistoryBuffer = _checked_history_buffer_class()
    numpy_types: List[object] = [np.ndarray, np.dtype, _multiarray._reconstruct,
                                 _multiarray.scalar]
    # numpy >= 1.25 pickles dtypes through their classes (np.dtypes.Float64DType...).
    numpy_types.extend(type(np.dtype(name)) for name in (
        'float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool'))
    return [(_CheckedHistoryBuffer, 'mmengine.logging.history_buffer.HistoryBuffer'),
            (_history_buffer_statistic, 'builtins.getattr'), *numpy_types]


def allow_toolbox_checkpoint_globals() -> None:
    """Add the toolbox's checkpoint types to torch's weights_only allow-list (idempotent).

    Entries that would let a checkpoint reach arbitrary attributes (``getattr`` itself, the raw
    ``HistoryBuffer`` class), added by older code or another library, are removed.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    ours = toolbox_checkpoint_globals()
    names = {entry[1] for entry in ours if isinstance(entry, tuple)}
    kept = [entry for entry in torch.serialization.get_safe_globals()
            if not (entry in (getattr, HistoryBuffer)
                    or (isinstance(entry, tuple) and entry[1] in names))]
    torch.serialization.clear_safe_globals()
    torch.serialization.add_safe_globals(kept + ours)


def allow_unsafe_checkpoint_loading() -> None:
    """Opt out of weights_only loading for this process (trusted checkpoints only).

    Unpickling may then run code stored in the file; the tools call this for ``--unsafe-load``.
    """
    warnings.warn('--unsafe-load: checkpoints are unpickled with weights_only=False; a malicious '
                  'file can run arbitrary code. Use it only for files you trust.', stacklevel=2)
    os.environ[UNSAFE_LOAD_ENV] = '1'


def unsafe_loading() -> bool:
    """Whether this process unpickles checkpoints with weights_only=False (``--unsafe-load``)."""
    return os.environ.get(UNSAFE_LOAD_ENV, '0').lower() in ('1', 'y', 'yes', 'true')


# ----------------------------------------------------------------------------- the file
def check_checkpoint_file(path: str, key: str = 'load_from') -> None:
    """Raise :class:`CheckpointError` unless ``path`` looks like a complete torch checkpoint.

    Cheap (reads the file's head and the zip directory, not the weights), so the tools run it
    before building a runner. ``key`` names where the path came from, for the message.
    """
    if not osp.exists(path):
        raise CheckpointError(f'{key}={path!r} does not exist. {MISSING_HINTS.get(key, MISSING_HINT)}')
    if not osp.isfile(path):
        raise CheckpointError(f'{key}={path!r} is a directory, not a checkpoint file; name the '
                              '.pth file inside it (e.g. its iter_<N>.pth).')
    with open(path, 'rb') as f:
        head = f.read(4)
    if head.startswith(b'PK'):
        if not zipfile.is_zipfile(path):
            raise CheckpointError(
                f'{key}={path!r} is a truncated or corrupt checkpoint (its zip directory is '
                'missing: the file was cut off while being written or copied). Use an earlier '
                'checkpoint of the run, or copy the file again.')
        return
    if head[:1] != b'\x80':  # torch's legacy (non-zip) format is a raw pickle stream
        raise CheckpointError(
            f'{key}={path!r} is not a PyTorch checkpoint (it starts with {head!r}). Pass a '
            '.pth file written by tools/train.py or torch.save.')


def verify_checksums(path: str, key: str = 'checkpoint') -> bool:
    """Check the CRC-32 torch stored for every record of a zip checkpoint (tensor bytes, pickle).

    Returns:
        False when the file holds no checksums to check (torch's legacy format, or saved with
        ``torch.utils.serialization.config.save.compute_crc32 = False``), else True.
    Raises:
        CheckpointError: a record's bytes differ from its checksum (naming the record), or the
            archive cannot be read.
    """
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if all(info.CRC == 0 for info in infos if info.file_size > 0):
                return False
            bad = archive.testzip()
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise CheckpointError(f'{key}={path!r} could not be read ({exc}); it is truncated or '
                              'corrupt. Use an earlier checkpoint of the run.') from exc
    if bad is not None:
        record = bad.split('/', 1)[-1]
        what = 'the bytes of a tensor' if record.startswith('data/') else f'its record {record!r}'
        raise CheckpointError(
            f'{key}={path!r} is damaged: {what} ({bad}) no longer match the checksum stored when '
            'it was saved (flipped bits on disk or in a copy). Use an earlier checkpoint of the '
            'run or copy the file again; --skip-checksum loads it anyway (its weights may be '
            'wrong).')
    return True


def verify_checkpoint_file(path: str, key: str = 'checkpoint') -> None:
    """The complete on-disk check: a torch checkpoint (:func:`check_checkpoint_file`) whose
    stored checksums all hold (:func:`verify_checksums`)."""
    check_checkpoint_file(path, key)
    verify_checksums(path, key)


# ----------------------------------------------------------------------------- the content
_LEAF_TYPES = (str, bytes, bytearray, int, float, complex, bool, type(None), torch.dtype,
               torch.device, torch.layout, torch.memory_format)
_PLAIN_DICT_ATTRIBUTES = frozenset({'_metadata'})  # state dicts carry the modules' versions


def check_plain_data(obj: Any, path: str = 'checkpoint') -> None:
    """Raise :class:`CheckpointError` unless ``obj`` is plain data.

    Plain: dicts / OrderedDicts / lists / tuples / sets of plain data, strings, numbers, plain
    tensors and numpy arrays (no objects inside), dtypes and devices, and mmengine's
    ``HistoryBuffer`` (checked when it was built). A container or tensor carrying instance
    attributes is refused: ``copy.deepcopy`` and ``pickle`` call such attributes
    (``__reduce_ex__``, ``__deepcopy__``) instead of the class's methods.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    stack = [(obj, '')]
    seen = set()
    while stack:
        item, where = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        kind = type(item)
        if kind in _LEAF_TYPES:
            continue
        attributes = getattr(item, '__dict__', None) or {}
        if kind in (dict, OrderedDict, Counter):
            extra = set(attributes) - (_PLAIN_DICT_ATTRIBUTES if kind is OrderedDict else set())
            if extra:
                _refuse(path, where, f'a container ({kind.__name__}) with attributes '
                                    f'{sorted(map(str, extra))}')
            stack.extend((v, f'{where}[{k!r}]') for k, v in attributes.items())
            for key, value in item.items():
                stack.append((key, f'{where} (a key)'))
                stack.append((value, f'{where}[{key!r}]'))
        elif kind in (list, tuple, set, frozenset, torch.Size):
            stack.extend((v, f'{where}[{k}]') for k, v in enumerate(item))
        elif kind in (torch.Tensor, torch.nn.Parameter):
            if attributes:
                _refuse(path, where, f'a tensor with attributes {sorted(map(str, attributes))}')
        elif kind is np.ndarray or isinstance(item, (np.generic, np.dtype)):
            dtype = item if isinstance(item, np.dtype) else item.dtype
            if not isinstance(item, np.dtype) and (dtype.hasobject or kind is np.object_):
                _refuse(path, where, 'a numpy array of Python objects')
        elif kind is HistoryBuffer:
            state = dict(attributes)
            try:
                _check_history_buffer_state(state)
            except pickle.UnpicklingError as exc:
                _refuse(path, where, str(exc).replace('refused ', ''))
        else:
            _refuse(path, where, f'an object of type {kind.__module__}.{kind.__qualname__}')


def _refuse(path: str, where: str, what: str) -> None:
    raise CheckpointError(
        f'Checkpoint {path!r} holds {what} at {where or "its top level"}, which is not plain data '
        '(tensors, numbers, strings and containers of them); it was refused because such an '
        f'object can run code when it is copied. {UNSAFE_LOAD_HINT}')


def neutralize_config_text(checkpoint: Any) -> Optional[str]:
    """Keep mmengine from executing the config text a checkpoint carries in ``meta['config']``.

    mmengine's ``Runner.resume`` runs that text (``Config.fromstring``) only to compare its
    ``gpu_ids`` with the world size. The text is parsed (never executed); a literal
    ``gpu_ids = [...]`` of integers is kept as a line the toolbox writes, the rest is dropped.

    Returns:
        The original text (None if there was none), for callers that want to show it.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if not isinstance(meta, dict) or 'config' not in meta:
        return None
    text = meta.pop('config')
    gpu_ids = _literal_gpu_ids(text) if isinstance(text, str) else None
    if gpu_ids is not None:
        meta['config'] = f'gpu_ids = {gpu_ids!r}\n'
    return text if isinstance(text, str) else None


def _literal_gpu_ids(text: str) -> Optional[List[int]]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == 'gpu_ids' for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None
            if isinstance(value, (list, tuple, range)) and \
                    all(type(v) is int for v in value):
                return [int(v) for v in value]
            return None
    return None


# ----------------------------------------------------------------------------- loading
def explain_load_error(path: str, exc: BaseException) -> str:
    """A message for a failed ``torch.load`` of ``path``: the type to allow, or what is broken."""
    text = str(exc)
    refused = re.search(r'^refused .*$', text, re.MULTILINE)
    if refused:
        return (f'Checkpoint {path!r} was refused while unpickling: {refused.group(0)}. Such '
                'an entry can run code from the file; a checkpoint written by tools/train.py '
                f'never holds one. {UNSAFE_LOAD_HINT}')
    if 'Weights only load failed' in text or 'weights_only' in text:
        match = re.search(r'GLOBAL ([\w.]+)', text)
        what = f'the type {match.group(1)}' if match else 'an object'
        return (f'Checkpoint {path!r} needs {what}, which is outside the toolbox\'s weights_only '
                'allow-list (uda_toolbox/utils/checkpoint.py), so it was not unpickled: '
                f'unpickling it could run code from the file. {UNSAFE_LOAD_HINT}')
    first = text.splitlines()[0] if text else ''
    return (f'Checkpoint {path!r} could not be read ({type(exc).__name__}: {first}); '
            'it is truncated, corrupt or not a checkpoint. Use an earlier checkpoint of the run.')


def load_checkpoint_file(filename: str, map_location=None) -> Any:
    """``torch.load`` of an untrusted local checkpoint with every check of this module.

    The file is complete, its checksums hold (unless ``--skip-checksum``), it is unpickled with
    weights_only through the narrow allow-list, holds plain data only (not checked after
    ``--unsafe-load``: the user trusts the file) and its config text is neutralised (always).
    """
    filename = osp.expanduser(filename)
    check_checkpoint_file(filename, key='checkpoint')
    if _verify_checksums:
        verify_checksums(filename)
    try:
        checkpoint = torch.load(filename, map_location=map_location)
    except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, ValueError) as exc:
        raise CheckpointError(explain_load_error(filename, exc)) from exc
    if not unsafe_loading():
        check_plain_data(checkpoint, filename)
    neutralize_config_text(checkpoint)
    return checkpoint


#: Kept under its former name (mmengine's loader scheme, scripts).
load_from_local_checked = load_checkpoint_file


def setup_checkpoint_loading(unsafe: bool = False, verify_checksums: Optional[bool] = None) -> None:
    """What the tools (and ``register_all_modules``) call before checkpoints are loaded.

    Allow-lists the toolbox's types, opts out of weights_only if ``unsafe``, and replaces
    mmengine's loader of local files (its scheme ``''``) with :func:`load_checkpoint_file`, so
    ``load_from``, ``--resume`` and ``tools/test.py`` all load through the checks above and a
    bad file stops with a message naming it and the fix.

    Args:
        unsafe: ``--unsafe-load`` (trusted files: unpickling may run code).
        verify_checksums: False for ``--skip-checksum``; None keeps the current setting (on by
            default).
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    global _verify_checksums
    allow_toolbox_checkpoint_globals()
    if unsafe:
        allow_unsafe_checkpoint_loading()
    if verify_checksums is not None:
        _verify_checksums = bool(verify_checksums)
    CheckpointLoader.register_scheme(prefixes='', loader=load_checkpoint_file, force=True)


# ----------------------------------------------------------------------------- which checkpoint
def checkpoint_candidates(work_dir: str) -> List[str]:
    """The work dir's checkpoints, newest first: ``iter_<N>.pth`` by N, after the file
    ``last_checkpoint`` names when that is not an ``iter_<N>.pth`` (another ``filename_tmpl``)."""
    steps = []
    for name in os.listdir(work_dir) if osp.isdir(work_dir) else []:
        match = re.fullmatch(r'iter_(\d+)\.pth', name)
        if match:
            steps.append((int(match.group(1)), osp.join(work_dir, name)))
    candidates = [path for _, path in sorted(steps, reverse=True)]
    named = last_checkpoint_pointer(work_dir)
    if named and osp.isfile(named) and not re.fullmatch(r'iter_\d+\.pth', osp.basename(named)):
        candidates.insert(0, named)
    return candidates


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from: the newest one of the work dir that verifies
    (complete, every stored checksum holds); None if the work dir has no checkpoint.

    ``last_checkpoint`` is not trusted: mmengine writes it in place, so a job killed at the wrong
    moment leaves it empty or naming a deleted file while complete checkpoints remain. A newer
    checkpoint that is truncated or damaged is skipped with a warning naming it and why.

    Raises:
        CheckpointError: the work dir has checkpoints but none of them verifies.
    """
    skipped = []
    for path in checkpoint_candidates(work_dir):
        try:
            verify_checkpoint_file(path, key='checkpoint')
        except CheckpointError as exc:
            skipped.append(f'{osp.basename(path)}: {exc}')
            continue
        if skipped:
            warnings.warn(f'--resume: {len(skipped)} newer checkpoint(s) of {work_dir!r} do not '
                          f'verify and are skipped ({"; ".join(skipped)}). Resuming from the newest '
                          f'intact one, {path}.', stacklevel=2)
        return path
    if skipped:
        raise CheckpointError(f'--resume: no checkpoint of {work_dir!r} verifies: '
                              f'{"; ".join(skipped)}. Start the run again without --resume, or '
                              'restore a checkpoint.')
    return None


def last_checkpoint_pointer(work_dir: str) -> Optional[str]:
    """What mmengine's ``<work_dir>/last_checkpoint`` file names (None without the file)."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        return f.read().strip()
