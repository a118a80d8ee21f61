"""Which checkpoint a run continues from, and checks before and after one is loaded."""
import os
import os.path as osp
import re
import warnings
from typing import Dict, List, Optional

from mmengine.config import Config
from mmengine.model import is_model_wrapper

from uda_toolbox.utils.checkpoint import CheckpointError, check_checkpoint_file, verify_checkpoint_file


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


def check_load_from(cfg: Config) -> None:
    """Stop before building anything when a local ``load_from`` is missing or not a checkpoint."""
    load_from = cfg.get('load_from')
    if not load_from or '://' in load_from or load_from.startswith(('open-mmlab:', 'torchvision:')):
        return
    try:
        check_checkpoint_file(load_from, key='load_from')
    except CheckpointError as exc:
        raise SystemExit(f'Checkpoint error: {exc}') from None


def segmentor_weight_mismatch(model, state_dict: dict) -> Dict[str, List[str]]:
    """How a checkpoint's weights fail to fit a model's segmentor.

    Only the segmentor (``segmentor.*`` of an adaptor; every weight of another model) is judged:
    a segmentation checkpoint may lack an adaptor's discriminators, which evaluation never uses.

    Returns:
        ``missing`` (model weights the checkpoint lacks), ``unexpected`` (segmentor weights the
        model does not have) and ``shape`` (``name: checkpoint (..) vs model (..)``) lists.
    """
    if is_model_wrapper(model):
        model = model.module
    expected = model.state_dict()
    prefix = 'segmentor.' if any(k.startswith('segmentor.') for k in expected) else ''
    expected = {k: tuple(v.shape) for k, v in expected.items() if k.startswith(prefix)}
    given = {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}
    return dict(
        missing=sorted(k for k in expected if k not in given),
        unexpected=sorted(k for k in given if k.startswith(prefix) and k not in expected),
        shape=sorted(f'{k}: checkpoint {tuple(given[k].shape)} vs model {expected[k]}'
                     for k in expected if k in given and hasattr(given[k], 'shape')
                     and tuple(given[k].shape) != expected[k]))


def load_test_checkpoint(runner, path: str, allow_partial: bool = False) -> dict:
    """Load the weights ``tools/test.py`` evaluates and stop if they do not fit the model.

    mmengine's loading is not strict: missing or mismatched weights only print a warning and the
    evaluation scores a partly (or wholly) random model. Here they are a :class:`CheckpointError`
    naming the first weights of each kind, unless ``allow_partial`` (``--allow-partial-weights``)
    accepts that (a warning then says how many weights did not load).
    """
    checkpoint = runner.load_checkpoint(path, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else {}
    mismatch = segmentor_weight_mismatch(runner.model, state_dict)
    if not any(mismatch.values()):
        return checkpoint
    parts = [f'{len(items)} {what} (e.g. {items[0]})' for what, items in (
        ('segmentor weights missing from the checkpoint', mismatch['missing']),
        ('unexpected segmentor weights', mismatch['unexpected']),
        ('weights of another shape', mismatch['shape'])) if items]
    message = (f'checkpoint {path!r} does not fit the model of the config: {"; ".join(parts)}. '
               'Evaluating it would score a partly random model. Use the config the checkpoint '
               'was trained with (same model, same number of classes)')
    if not allow_partial:
        raise CheckpointError(message + '; --allow-partial-weights evaluates it anyway.')
    warnings.warn(message + ' (evaluated anyway: --allow-partial-weights).', stacklevel=2)
    return checkpoint
