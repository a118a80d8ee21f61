"""Optimizer wrapper constructors of the toolbox."""
import copy
import warnings
from typing import Optional

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from uda_toolbox.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """One optimizer wrapper per named child of the model, gathered in an ``OptimWrapperDict``
    (mmengine 0.10 ships none; mmagic has its own, this one is the toolbox's).

    Config: ``optim_wrapper = dict(constructor='MultiOptimWrapperConstructor',
    segmentor=dict(type='OptimWrapper', optimizer=...), discriminator=dict(...))``; each entry
    is an ordinary optimizer wrapper config (``paramwise_cfg`` allowed) built on
    ``model.<name>`` by mmengine's ``DefaultOptimWrapperConstructor``. Top-level ``type``,
    ``loss_scale`` and ``dtype`` (what ``tools/train.py --amp`` sets) apply to every entry, so
    AMP (``type='AmpOptimWrapper'``) covers the segmentor and the discriminators alike.
    Parameter schedulers go in ``param_scheduler = dict(segmentor=[...], discriminator=[...])``.

    Args:
        optim_wrapper_cfg: ``{child name: optimizer wrapper config}``.
        paramwise_cfg: Must be None: give it per entry.
    """

    SHARED_KEYS = ('type', 'loss_scale', 'dtype')

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        if paramwise_cfg is not None:
            raise ValueError('MultiOptimWrapperConstructor: put paramwise_cfg inside each entry '
                             '(optim_wrapper.segmentor.paramwise_cfg, ...), not at the top level')
        cfg = copy.deepcopy(dict(optim_wrapper_cfg))
        shared = {key: cfg.pop(key) for key in self.SHARED_KEYS if key in cfg}
        if not cfg:
            raise ValueError('MultiOptimWrapperConstructor: optim_wrapper names no child module '
                             '(e.g. segmentor=dict(...), discriminator=dict(...))')
        self.entries = {name: dict(entry, **shared) for name, entry in cfg.items()}

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        model = model.module if is_model_wrapper(model) else model
        wrappers = {}
        for name, entry in self.entries.items():
            child = getattr(model, name, None)
            if not isinstance(child, nn.Module):
                children = [n for n, _ in model.named_children()]
                raise KeyError(f'optim_wrapper.{name}: {type(model).__name__} has no child module '
                               f'{name!r}; its children are {children}')
            entry = copy.deepcopy(entry)
            paramwise = entry.pop('paramwise_cfg', None)
            wrappers[name] = DefaultOptimWrapperConstructor(entry, paramwise)(child)
        covered = {id(p) for name in wrappers for p in getattr(model, name).parameters()}
        missed = [n for n, p in model.named_parameters() if p.requires_grad and id(p) not in covered]
        if missed:
            warnings.warn(f'MultiOptimWrapperConstructor: {len(missed)} trainable parameters are in '
                          f'no optimizer (first: {missed[0]}); name their module in optim_wrapper',
                          stacklevel=2)
        return OptimWrapperDict(**wrappers)
