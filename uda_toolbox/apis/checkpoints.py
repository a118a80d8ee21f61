"""Which checkpoint a run continues from, and checks before and after one is loaded.

``latest_checkpoint`` lives in the bottom layer (``uda_toolbox.utils.checkpoint``) because the
NaN-loss hook names it too; it is part of this API.
"""
import re
import warnings
from typing import Dict, List

from mmengine.model import BaseTTAModel, is_model_wrapper

from uda_toolbox.models.backbones.convert import convert_backbone_checkpoint
from uda_toolbox.utils.checkpoint import (
    CheckpointError,
    check_checkpoint_file,
    checkpoint_candidates,
    last_checkpoint_pointer,
    latest_checkpoint,
)

__all__ = ['checkpoint_candidates', 'convert_backbone_checkpoint',
           'last_checkpoint_pointer', 'latest_checkpoint', 'load_test_checkpoint',
           'require_checkpoint', 'segmentor_weight_mismatch']


def require_checkpoint(path: str, key: str) -> None:
    """Stop with ``Checkpoint error: ...`` (no traceback) unless ``path`` is a readable checkpoint;
    ``key`` names where it came from (``load_from``, ``CHECKPOINT``)."""
    try:
        check_checkpoint_file(path, key=key)
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
    if is_model_wrapper(model) or isinstance(model, BaseTTAModel):  # --tta: SegTTAModel(module=...)
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
