"""ImageNet ResNet weights for the real-data configs: torchvision or mmpretrain checkpoints -> the
state dict of mmseg's ``ResNet`` that ``init_cfg=dict(type='Pretrained', checkpoint=...)`` loads.

No weights can be downloaded where the toolbox runs, so the backbone file is local
(``configs/_base_/models/deeplabv2_r50.py``: ``checkpoints/resnet50_imagenet.pth``). Where the
weights come from and how to convert them: docs/get_started.md, "Backbone weights".

* torchvision (``torchvision.models.resnet50(weights='IMAGENET1K_V1').state_dict()``, or the file
  ``resnet50-0676ba61.pth`` of its model zoo): a flat state dict whose names are mmseg's already
  (``conv1``, ``bn1``, ``layer1.0.conv1`` ... ``layerN.M.downsample.{0,1}``); the ImageNet
  classifier ``fc.*`` is dropped.
* mmpretrain / mmcls (``resnet50_8xb32_in1k_*.pth``): ``{'state_dict': ..., 'meta': ...}`` with the
  backbone under ``backbone.`` and the classifier under ``head.``; the prefix is stripped and the
  head dropped.

The result is checked against an mmseg ``ResNet`` of the given depth built with the configs'
options (every name present, every shape equal), so a wrong file fails here and not as a silent
partial load (mmengine loads ``Pretrained`` weights with ``strict=False``).
"""
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, Mapping, Optional

import torch
from torch import Tensor

from uda_toolbox.utils.checkpoint import CheckpointError, load_from_local_checked
from uda_toolbox.utils.io import atomic_write

SOURCES = ('auto', 'torchvision', 'mmpretrain')
#: Keys of the ImageNet classifier (torchvision ``fc``, mmpretrain ``head``): not the backbone's.
_CLASSIFIER_PREFIXES = ('fc.', 'head.')


def _state_dict_of(checkpoint: Mapping) -> Mapping[str, Tensor]:
    """The state dict inside a checkpoint (``state_dict`` / ``model`` entry, or the dict itself)."""
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), Mapping):
            return checkpoint[key]
    return checkpoint


def detect_source(state_dict: Mapping[str, Tensor]) -> str:
    """``'mmpretrain'`` when the weights sit under ``backbone.``, else ``'torchvision'``."""
    if any(key.startswith('backbone.') for key in state_dict):
        return 'mmpretrain'
    if 'conv1.weight' in state_dict:
        return 'torchvision'
    raise CheckpointError('not a ResNet checkpoint of torchvision or mmpretrain: no conv1.weight '
                          f'or backbone.* entry (first keys: {list(state_dict)[:5]})')


def convert_resnet_state_dict(checkpoint: Mapping, source: str = 'auto') -> Dict[str, Tensor]:
    """The backbone weights of a torchvision / mmpretrain ResNet checkpoint under mmseg's names.

    Args:
        checkpoint: A loaded checkpoint (a state dict, or a dict holding one under
            ``state_dict`` / ``model``).
        source: ``'torchvision'``, ``'mmpretrain'`` or ``'auto'`` (:func:`detect_source`).
    Returns:
        An ordered state dict of tensors, without the ImageNet classifier.
    """
    if source not in SOURCES:
        raise ValueError(f'source must be one of {SOURCES}, got {source!r}')
    state_dict = _state_dict_of(checkpoint)
    if source == 'auto':
        source = detect_source(state_dict)
    converted = OrderedDict()
    for key, value in state_dict.items():
        if source == 'mmpretrain':
            if not key.startswith('backbone.'):
                continue  # head.*, data_preprocessor.*: not the backbone
            key = key[len('backbone.'):]
        elif key.startswith(_CLASSIFIER_PREFIXES):
            continue
        if not torch.is_tensor(value):
            raise CheckpointError(f'entry {key!r} is a {type(value).__name__}, not a tensor')
        converted[key] = value
    if not converted:
        raise CheckpointError(f'no backbone weights found for source {source!r}')
    return converted


def resnet_backbone(depth: int = 50, **kwargs) -> torch.nn.Module:
    """mmseg's ``ResNet`` as ``configs/_base_/models/deeplabv2_r50.py`` builds it (dilated, output
    stride 8; the names do not depend on strides or dilations)."""
    from mmseg.models.backbones import ResNet
    options = dict(depth=depth, num_stages=4, out_indices=(2, 3), strides=(1, 2, 1, 1),
                   dilations=(1, 1, 2, 4), style='pytorch', contract_dilation=True)
    options.update(kwargs)
    return ResNet(**options)


def check_against(state_dict: Mapping[str, Tensor], model: torch.nn.Module) -> None:
    """Raise :class:`CheckpointError` unless ``state_dict`` fills every entry of ``model`` with
    the right shape and holds nothing else."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    wrong = [f'{k}: {tuple(state_dict[k].shape)} instead of {tuple(v.shape)}'
             for k, v in expected.items() if k in state_dict and state_dict[k].shape != v.shape]
    if missing or unexpected or wrong:
        raise CheckpointError(
            'the weights do not fit the backbone: '
            + '; '.join(f'{what} ({len(keys)}): {keys[:4]}' for what, keys in
                        (('missing', missing), ('unexpected', unexpected), ('wrong shape', wrong))
                        if keys)
            + '. Is it a ResNet of this depth (--depth)?')


def convert_backbone_checkpoint(src: str, dst: str, source: str = 'auto', depth: Optional[int] = 50,
                                **backbone_options) -> Dict[str, int]:
    """Convert the ResNet checkpoint ``src`` into ``dst`` for ``init_cfg=dict(type='Pretrained')``.

    Args:
        src: torchvision or mmpretrain checkpoint (loaded with weights_only, no code runs).
        dst: Output ``.pth``: ``{'state_dict': ..., 'meta': {'converted_from', 'source'}}``,
            written atomically.
        source: See :func:`convert_resnet_state_dict`.
        depth: Check the result against mmseg's ResNet of this depth; None skips the check.
        backbone_options: Further ``ResNet`` options for the check (e.g. ``base_channels``).
    Returns:
        ``dict(tensors=..., parameters=...)`` counts of what was written.
    """
    checkpoint = load_from_local_checked(src, map_location='cpu')
    if not isinstance(checkpoint, Mapping):
        raise CheckpointError(f'{src!r} holds a {type(checkpoint).__name__}, not a state dict')
    inner = _state_dict_of(checkpoint)
    resolved = detect_source(inner) if source == 'auto' else source
    state_dict = convert_resnet_state_dict(checkpoint, resolved)
    if depth is not None:
        check_against(state_dict, resnet_backbone(depth, **backbone_options))
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    with atomic_write(dst) as tmp:
        torch.save(dict(state_dict=state_dict,
                        meta=dict(converted_from=osp.basename(src), source=resolved)), tmp)
    return dict(tensors=len(state_dict),
                parameters=sum(v.numel() for k, v in state_dict.items()
                               if not k.endswith(('running_mean', 'running_var',
                                                  'num_batches_tracked'))))
