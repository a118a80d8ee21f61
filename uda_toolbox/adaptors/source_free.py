"""Source-free adaptation (docs/source_free.md): a source-trained checkpoint adapted with target clips only.

``SourceFreeAdaptor`` is the shared base of SHOT, URMA, HCL and STPL. It declares
``needs_source = False`` (``uda_toolbox.apis`` then refuses a config that defines a source
dataset), trains on batches that hold only ``'target'`` (``UDADataset(source=None)``) and refuses
any other, and gives its methods two pieces they share:

* model copies (a frozen source model, an EMA teacher, HCL's historical models) initialised from
  the loaded checkpoint at the first step and checkpointed with the student;
* one forward that returns the class scores, the features the classifier reads and the outputs
  of the method's own heads on those features (through DDP when there is one).
"""
import copy
from abc import abstractmethod
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmseg.models.utils import resize
from torch import Tensor

from uda_toolbox.adaptors.base import BaseAdaptor, Batch
from uda_toolbox.models.heads import classifier_modules, decode_with_features, feature_channels


class SegmentorWithFeatures(nn.Module):
    """frames -> class scores, the classifier's input features, and extra heads on those features.

    Like ``SegmentorForward`` (adaptors/base.py) it is the module DDP wraps for a source-free
    adaptor, so its parameters are the segmentor's plus the method's heads (a projection head,
    URMA's noisy decoders). It is not a child of the adaptor.

    Args:
        segmentor: An mmseg ``EncoderDecoder``.
        heads: Modules applied to the (N*T, D, h, w) features, by output name.
        aux: Also return the auxiliary head's logits (``aux_logits``) when the segmentor has one.
    """

    def __init__(self, segmentor: nn.Module, heads: Optional[Dict[str, nn.Module]] = None,
                 aux: bool = False):
        super().__init__()
        self.segmentor = segmentor
        self.heads = nn.ModuleDict(heads or {})
        self.aux = aux

    def forward(self, frames: Tensor) -> Dict[str, Tensor]:
        """Args: frames (N, T, 3, H, W) normalised.

        Returns:
            ``logits`` (N, T, C, H, W) at input size (bilinear, as :meth:`BaseAdaptor.segment`),
            ``head_logits`` (N, T, C, h, w) at the head's resolution, ``features``
            (N, T, D, h, w), ``aux_logits`` (N, T, C, H, W) when asked for and present, and
            one (N, T, ...) entry per head.
        """
        n, t = frames.shape[:2]
        flat = frames.flatten(0, 1)
        segmentor = self.segmentor
        feats = segmentor.extract_feat(flat)
        head_logits, features = decode_with_features(segmentor.decode_head, feats)
        out = dict(head_logits=head_logits, features=features,
                   logits=resize(head_logits, size=flat.shape[-2:], mode='bilinear',
                                 align_corners=segmentor.align_corners))
        if self.aux and segmentor.with_auxiliary_head:
            out['aux_logits'] = resize(segmentor.auxiliary_head(feats), size=flat.shape[-2:],
                                       mode='bilinear', align_corners=segmentor.align_corners)
        for name, head in self.heads.items():
            out[name] = head(features)
        return {name: value.unflatten(0, (n, t)) for name, value in out.items()}


def resize_labels(labels: Tensor, size: Sequence[int]) -> Tensor:
    """(M, H, W) integer labels resized (nearest) to ``size``."""
    if tuple(labels.shape[-2:]) == tuple(size):
        return labels
    return F.interpolate(labels[:, None].float(), size=tuple(size), mode='nearest')[:, 0].to(labels.dtype)


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, momentum: float) -> None:
    """Mean teacher: ``ema <- momentum * ema + (1 - momentum) * model`` for every parameter;
    buffers (BatchNorm statistics) are copied from ``model`` (HCL's ``gen_update``)."""
    for ema_param, param in zip(ema.parameters(), model.parameters()):
        ema_param.mul_(momentum).add_(param.detach(), alpha=1.0 - momentum)
    for ema_buffer, buffer in zip(ema.buffers(), model.buffers()):
        ema_buffer.copy_(buffer)


class SourceFreeAdaptor(BaseAdaptor):
    """Adapts a source-trained model with unlabelled target clips only (docs/source_free.md).

    ``train_step`` receives ``{'target': clips}`` batches (``UDADataset(source=None)``): a batch
    with a ``'source'`` entry is an error, and so is a config that defines a source dataset
    (checked by ``uda_toolbox.apis`` before anything is built). Methods implement
    :meth:`target_loss`; the weights to adapt come from ``load_from`` (a source-only
    checkpoint; the benchmark passes its dependency's).

    Model copies (:meth:`add_copy`) are built at construction but filled with the student's
    weights at the first training step, after ``load_from`` has been applied; a persistent
    ``copies_initialised`` flag keeps a resumed run from filling them again. The number of
    finished steps is kept in the persistent ``step_count`` buffer (HCL's history interval).

    Args:
        segmentor: Config of the mmseg segmentor.
        data_preprocessor: Config of the data preprocessor.
        init_cfg: Initialisation config.
    """

    needs_source = False
    #: Whether the method's loss uses the auxiliary head's scores (``aux_logits``); the forward
    #: computes them only then, so DDP never sees an auxiliary head without gradients.
    uses_aux_head = False

    def __init__(self, segmentor: dict, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.register_buffer('copies_initialised', torch.tensor(False))
        self.register_buffer('step_count', torch.tensor(0, dtype=torch.long))
        self._copies: List[str] = []
        self._eval_copies: List[str] = []

    # ------------------------------------------------------------------ the trained network
    def trained_heads(self) -> Dict[str, nn.Module]:
        """The method's own modules applied to the classifier's features (trained with the
        segmentor, copied with it); none by default."""
        return {}

    def network(self) -> SegmentorWithFeatures:
        """The student: segmentor + :meth:`trained_heads` as one forward."""
        return SegmentorWithFeatures(self.segmentor, self.trained_heads(), aux=self.uses_aux_head)

    def ddp_modules(self) -> Dict[str, nn.Module]:
        return dict(segmentor=self.network())

    def forward_features(self, frames: Tensor) -> Dict[str, Tensor]:
        """:class:`SegmentorWithFeatures` of the student; through the DDP wrapper when gradients
        are on and one is attached (the same values)."""
        ddp = self._ddp.get('segmentor') if torch.is_grad_enabled() else None
        return (self.network() if ddp is None else ddp)(frames)

    def feature_channels(self) -> int:
        """Channels of the features the head's classifier reads."""
        return feature_channels(self.segmentor.decode_head)

    def freeze_classifier(self) -> None:
        """Keep the head's classifier fixed (SHOT's frozen hypothesis; URMA's --freeze-classifier)."""
        for module in classifier_modules(self.segmentor.decode_head):
            for param in module.parameters():
                param.requires_grad_(False)

    # ------------------------------------------------------------------ model copies
    def add_copy(self, name: str, with_heads: bool = True, eval_mode: bool = True) -> nn.ModuleDict:
        """A frozen copy of the student (``segmentor`` plus, with ``with_heads``, each trained
        head), registered as child ``name``.

        Args:
            name: Attribute name (its weights are saved under it).
            with_heads: Copy the trained heads too.
            eval_mode: Keep it in eval mode (BatchNorm running statistics, no dropout) also when
                the adaptor trains; False runs it in the adaptor's mode (HCL's historical
                models run in train mode in its code).
        """
        modules = dict(segmentor=self.segmentor, **(self.trained_heads() if with_heads else {}))
        model_copy = nn.ModuleDict({key: copy.deepcopy(module) for key, module in modules.items()})
        for param in model_copy.parameters():
            param.requires_grad_(False)
        self.add_module(name, model_copy)
        self._copies.append(name)
        if eval_mode:
            self._eval_copies.append(name)
            model_copy.eval()
        return model_copy

    def copy_network(self, name: str) -> SegmentorWithFeatures:
        """The forward of copy ``name`` (call it under ``torch.no_grad()``)."""
        model_copy = getattr(self, name)
        heads = {key: module for key, module in model_copy.items() if key != 'segmentor'}
        return SegmentorWithFeatures(model_copy['segmentor'], heads, aux=self.uses_aux_head)

    @torch.no_grad()
    def reset_copy(self, name: str) -> None:
        """Copy ``name`` takes the student's current weights and buffers."""
        model_copy = getattr(self, name)
        model_copy['segmentor'].load_state_dict(self.segmentor.state_dict())
        for key, module in self.trained_heads().items():
            if key in model_copy:
                model_copy[key].load_state_dict(module.state_dict())

    @torch.no_grad()
    def ema_update_copy(self, name: str, momentum: float) -> None:
        """Copy ``name`` becomes the exponential moving average of the student (:func:`ema_update`)."""
        model_copy = getattr(self, name)
        ema_update(model_copy['segmentor'], self.segmentor, momentum)
        for key, module in self.trained_heads().items():
            if key in model_copy:
                ema_update(model_copy[key], module, momentum)

    def train(self, mode: bool = True) -> 'SourceFreeAdaptor':
        super().train(mode)
        for name in self._eval_copies:
            getattr(self, name).eval()
        return self

    # ------------------------------------------------------------------ training
    def train_step(self, data: dict, optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, Tensor]:
        """One adaptation step on a target batch (see :meth:`target_loss`)."""
        data = self.data_preprocessor(data, True)
        if not bool(self.copies_initialised):
            for name in self._copies:
                self.reset_copy(name)
            self.copies_initialised.fill_(True)
        wrapper = self.segmentor_optim_wrapper(optim_wrapper)
        with wrapper.optim_context(self._ddp.get('segmentor', self)):
            losses = self.loss(data.get('source'), data.get('target'))
        parsed, log_vars = self.parse_losses(losses)
        wrapper.update_params(parsed)
        self.step_count += 1
        return log_vars

    def loss(self, source: Optional[Batch], target: Batch) -> Dict[str, Tensor]:
        if source is not None:
            raise ValueError(f'{type(self).__name__} is source-free but received a source batch: '
                             'its training dataset must be UDADataset(source=None, target=...) '
                             '(configs/_base_/datasets/*_source_free.py, docs/source_free.md).')
        if target is None:
            raise ValueError(f'{type(self).__name__}: the training batch has no "target" entry; '
                             'use UDADataset(source=None, target=...) as the training dataset.')
        return self.target_loss(target)

    @abstractmethod
    def target_loss(self, target: Batch) -> Dict[str, Tensor]:
        """Named loss terms of one step on a target batch (``inputs`` (N, T, 3, H, W),
        ``gt_seg`` (N, T, H, W): ignore, or pseudo labels of a round, ``flows`` when loaded)."""
