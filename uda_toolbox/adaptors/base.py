"""The adaptor base: a segmentor plus what a UDA method needs, trained one UDA iteration per step."""
import copy
import os.path as osp
import warnings
from abc import ABCMeta, abstractmethod
from typing import Dict, Iterable, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmseg.models.utils import resize
from mmseg.structures import SegDataSample
from torch import Tensor

from uda_toolbox.models.losses import GAN_TYPES, gan_loss, masked_cross_entropy
from uda_toolbox.registry import MODELS

Batch = Dict[str, Tensor]


def _drop_missing_pretrained(segmentor_cfg: dict) -> dict:
    """Warn (instead of failing deep in init) when the backbone's pretrained file is absent.

    No weights can be downloaded on the machines this toolbox targets, so the ImageNet
    file is a local path; without it training starts from random weights.
    """
    backbone = segmentor_cfg.get('backbone', {})
    init_cfg = backbone.get('init_cfg') if isinstance(backbone, dict) else None
    if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
        path = init_cfg.get('checkpoint', '')
        if '://' not in str(path) and not osp.isfile(str(path)):
            warnings.warn(
                f'Backbone weights {path!r} (model.segmentor.backbone.init_cfg.checkpoint) do '
                'not exist: training starts from RANDOM weights. Put the ImageNet checkpoint '
                'there or set the path with --cfg-options '
                'model.segmentor.backbone.init_cfg.checkpoint=/path/to/resnet50.pth',
                stacklevel=3)
            segmentor_cfg = dict(segmentor_cfg)
            segmentor_cfg['backbone'] = dict(backbone, init_cfg=None)
    return segmentor_cfg


def segmentor_logits(segmentor: nn.Module, frames: Tensor, aux: bool = False) -> Dict[str, Tensor]:
    """Class scores of every frame of a clip batch at input resolution.

    Args:
        segmentor: An mmseg ``EncoderDecoder``.
        frames: (N, T, 3, H, W) normalised frames.
        aux: Also score with the auxiliary classifier on an earlier backbone stage
            (multi-level AdaptSegNet / ADVENT), when the segmentor has one.
    Returns:
        ``{'main': logits}`` plus ``'aux'`` when asked for and present; each (N, T, C, H, W),
        bilinearly upsampled as AdaptSegNet/ADVENT do before their losses.
    """
    n, t = frames.shape[:2]
    flat = frames.flatten(0, 1)
    feats = segmentor.extract_feat(flat)
    heads = dict(main=segmentor.decode_head)
    if aux and segmentor.with_auxiliary_head:
        if isinstance(segmentor.auxiliary_head, nn.ModuleList):
            raise ValueError('segment_levels supports one auxiliary head (a dict in '
                             'model.segmentor.auxiliary_head), got a list')
        heads['aux'] = segmentor.auxiliary_head
    return {
        level: resize(head(feats), size=flat.shape[-2:], mode='bilinear',
                      align_corners=segmentor.align_corners).unflatten(0, (n, t))
        for level, head in heads.items()
    }


class SegmentorForward(nn.Module):
    """:func:`segmentor_logits` as a module's ``forward``: what DistributedDataParallel wraps.

    DDP synchronises gradients only for what runs through its own ``forward``, and no mode of
    an mmseg segmentor's forward returns the per-frame main and auxiliary logits the adaptors
    need; this module is that forward. It owns no parameters besides the segmentor's and is not
    a child of the adaptor (its state dict stays the segmentor's). docs/distributed.md.
    """

    def __init__(self, segmentor: nn.Module):
        super().__init__()
        self.segmentor = segmentor

    def forward(self, frames: Tensor, aux: bool = False) -> Dict[str, Tensor]:
        return segmentor_logits(self.segmentor, frames, aux)


class BaseAdaptor(BaseModel, metaclass=ABCMeta):
    """An mmengine model that owns an mmseg segmentor and adapts it to a target domain.

    Training: :meth:`train_step` gets a ``{'source': clips, 'target': clips}`` batch
    (see ``ClipSegDataPreProcessor``) and runs one UDA iteration. Methods with one
    optimizer implement :meth:`loss`; adversarial methods override :meth:`train_step`
    and receive an ``OptimWrapperDict`` with ``segmentor`` and ``discriminator``.

    Inference (val/test) is the segmentor's own ``predict``, so every method costs the
    same at test time (the seed paper: no inference overhead).

    Data parallel (docs/distributed.md): ``AdaptorDistributedDataParallel`` wraps each module of
    :meth:`ddp_modules` in its own DDP and hands the wrappers back through :meth:`attach_ddp`.
    Every training forward that updates parameters goes through :meth:`segment_levels` (and,
    for the discriminators, :meth:`AdversarialAdaptor.train_discriminator`), which use those
    wrappers when gradients are on; attribute access, inference and no-grad forwards use the
    plain modules, so the adaptor reads the same in one process and under DDP.

    Args:
        segmentor: Config of an mmseg segmentor (e.g. ``EncoderDecoder``).
        data_preprocessor: Config of the data preprocessor (``ClipSegDataPreProcessor``).
        init_cfg: Initialisation config.
    """

    def __init__(self, segmentor: dict, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.segmentor = MODELS.build(_drop_missing_pretrained(segmentor))
        self.num_classes: int = self.segmentor.decode_head.num_classes
        self.ignore_index: int = self.segmentor.decode_head.ignore_index
        # DDP wrappers by name (see ddp_modules); a plain dict, so not part of the state dict.
        self._ddp: Dict[str, nn.Module] = {}

    # ------------------------------------------------------------------ data parallel
    def ddp_modules(self) -> Dict[str, nn.Module]:
        """The modules to wrap in DistributedDataParallel, one wrapper each, by name.

        Each one's ``forward`` is a training forward of this adaptor; together they hold every
        trainable parameter. Base: the segmentor's (:class:`SegmentorForward`).
        """
        return dict(segmentor=SegmentorForward(self.segmentor))

    def attach_ddp(self, wrapped: Dict[str, nn.Module]) -> None:
        """Use these DDP wrappers of :meth:`ddp_modules` for the training forwards."""
        self._ddp = dict(wrapped)

    # ------------------------------------------------------------------ training
    def train_step(self, data: dict, optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, Tensor]:
        """One UDA iteration for single-optimizer methods: loss, backward, step."""
        data = self.data_preprocessor(data, True)
        wrapper = self.segmentor_optim_wrapper(optim_wrapper)
        # The DDP wrapper, when there is one, so gradient accumulation skips needless syncs.
        with wrapper.optim_context(self._ddp.get('segmentor', self)):
            losses = self.loss(data['source'], data['target'])
        parsed, log_vars = self.parse_losses(losses)
        wrapper.update_params(parsed)
        return log_vars

    @abstractmethod
    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        """Named loss terms of one iteration (logged by name).

        Args:
            source: ``inputs`` (N, T, 3, H, W), ``gt_seg`` (N, T, H, W), optional ``flows``.
            target: the same for the target domain (``gt_seg`` all ignore unless pseudo
                labels or, for the oracle, ground truth are loaded).
        """

    @staticmethod
    def segmentor_optim_wrapper(optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                                ) -> OptimWrapper:
        """The segmentor's optimizer: the wrapper itself, or its ``segmentor`` entry."""
        if isinstance(optim_wrapper, OptimWrapperDict):
            if 'segmentor' not in optim_wrapper:
                raise KeyError('optim_wrapper has no "segmentor" entry: with several optimizers '
                               'name them after the adaptor\'s children (segmentor, '
                               f'discriminator...); got {list(optim_wrapper.keys())}')
            return optim_wrapper['segmentor']
        return optim_wrapper

    def segment(self, frames: Tensor) -> Tensor:
        """Class scores of every frame of a clip batch at input resolution.

        Args:
            frames: (N, T, 3, H, W) normalised frames.
        Returns:
            Logits (N, T, C, H, W), bilinearly upsampled as AdaptSegNet/ADVENT do before
            their losses.
        """
        return self.segment_levels(frames, aux=False)['main']

    def segment_levels(self, frames: Tensor, aux: bool = True) -> Dict[str, Tensor]:
        """Like :meth:`segment`, for the main classifier and, when the segmentor has one, the
        auxiliary classifier on an earlier backbone stage (multi-level AdaptSegNet / ADVENT).

        With gradients on and a DDP wrapper attached, the forward runs through it (gradient
        synchronisation); otherwise through the plain segmentor (same values).

        Args:
            frames: (N, T, 3, H, W) normalised frames.
            aux: Include the auxiliary classifier's scores (when the segmentor has one).
        Returns:
            ``{'main': logits}`` plus ``'aux'`` when ``segmentor.auxiliary_head`` is set;
            each (N, T, C, H, W) at input resolution.
        """
        ddp = self._ddp.get('segmentor') if torch.is_grad_enabled() else None
        if ddp is not None:
            return ddp(frames, aux)
        return segmentor_logits(self.segmentor, frames, aux)

    def seg_loss(self, logits: Tensor, labels: Tensor) -> Tensor:
        """Per-frame cross-entropy of (N, T, C, H, W) logits against (N, T, H, W) labels."""
        return masked_cross_entropy(logits.flatten(0, 1), labels.flatten(0, 1), self.ignore_index)

    # ----------------------------------------------------------------- inference
    def forward(self, inputs: Tensor, data_samples: Optional[List[SegDataSample]] = None,
                mode: str = 'tensor'):
        """``predict`` and ``tensor`` modes delegate to the segmentor; training uses train_step."""
        if mode == 'predict':
            return self.segmentor.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.segmentor._forward(inputs, data_samples)
        raise ValueError(f'{type(self).__name__}.forward got mode={mode!r}: adaptors train '
                         'through train_step(); use mode "predict" or "tensor" for inference. '
                         'Under DDP, model_wrapper_cfg must be '
                         "dict(type='AdaptorDistributedDataParallel') (the default of "
                         'configs/_base_/default_runtime.py), not MMDistributedDataParallel.')


# ----------------------------------------------------------------------- adversarial methods
#: Domain labels of the discriminators, as in AdaptSegNet's and ADVENT's code (seed Eq. 1 and
#: Eq. 8 write the same game with D(source) -> 1; the two conventions are mirror images).
SOURCE_LABEL = 0.0
TARGET_LABEL = 1.0


def _detached(log_vars: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Logged values without their graph (the step is over)."""
    return {name: value.detach() for name, value in log_vars.items()}


def set_requires_grad(modules: Union[nn.Module, Iterable[nn.Module]], flag: bool) -> None:
    """Switch ``requires_grad`` of every parameter of ``modules``."""
    for module in [modules] if isinstance(modules, nn.Module) else modules:
        for param in module.parameters():
            param.requires_grad_(flag)


class AdversarialAdaptor(BaseAdaptor):
    """Shared mechanics of the adversarial methods (AdaptSegNet, ADVENT, VAT).

    One iteration is two small steps, as mmagic's GANs do, each under its own optimizer
    wrapper's ``optim_context``:

    1. :meth:`train_segmentor`: every discriminator frozen (``requires_grad=False``), the
       method's :meth:`segmentor_losses` (supervised terms + lambda * :meth:`fool_discriminator`)
       update the segmentor only.
    2. :meth:`train_discriminator`: the maps of step 1, detached, train the discriminators:
       source maps labelled :data:`SOURCE_LABEL` (0), target maps :data:`TARGET_LABEL` (1),
       each term halved as in AdaptSegNet and ADVENT. The segmentor gets no gradient.

    The adversarial term of step 1 scores target maps against the *source* label, so the
    segmentor learns to make target outputs look like source ones (seed Eq. 1-2, Eq. 8-9).

    The optimizer wrapper is an ``OptimWrapperDict`` with ``segmentor`` and ``discriminator``
    entries (``MultiOptimWrapperConstructor``; configs/_base_/schedules/*_adversarial.py).

    Args:
        segmentor: Config of the mmseg segmentor.
        discriminators: ``{name: config}`` of the discriminators, kept in the ModuleDict
            ``self.discriminator``; ``in_channels`` defaults to the number of classes.
        gan_type: ``'vanilla'`` (BCE) or ``'lsgan'`` (least squares), see ``gan_loss``.
        data_preprocessor: Config of the data preprocessor.
        init_cfg: Initialisation config.
    """

    def __init__(self, segmentor: dict, discriminators: Dict[str, dict], gan_type: str = 'vanilla',
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if gan_type not in GAN_TYPES:
            raise ValueError(f'model.gan_type must be one of {GAN_TYPES}, got {gan_type!r}')
        self.gan_type = gan_type
        built = {}
        for name, cfg in discriminators.items():
            cfg = copy.deepcopy(dict(cfg))
            cfg.setdefault('in_channels', self.num_classes)
            built[name] = MODELS.build(cfg)
        self.discriminator = nn.ModuleDict(built)

    @abstractmethod
    def segmentor_losses(self, source: Batch, target: Batch
                         ) -> Tuple[Dict[str, Tensor], Dict[str, Tuple[Tensor, Tensor]]]:
        """The segmentor's named loss terms, and what each discriminator must tell apart.

        Returns:
            ``(losses, disc_inputs)``: ``disc_inputs[name] = (source_maps, target_maps)`` are
            the inputs of ``self.discriminator[name]`` (still attached; they are detached for
            the discriminator step).
        """

    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        """The segmentor's loss terms of one iteration (discriminators as they are)."""
        return self.segmentor_losses(source, target)[0]

    def ddp_modules(self) -> Dict[str, nn.Module]:
        """The segmentor's forward and every discriminator, each its own DDP wrapper: the two
        steps update disjoint parameters, and each step runs only its own wrappers."""
        modules = super().ddp_modules()
        modules.update({f'discriminator.{name}': disc for name, disc in self.discriminator.items()})
        return modules

    def fool_discriminator(self, name: str, target_maps: Tensor) -> Tensor:
        """Adversarial term of the segmentor: target maps scored against the source label.

        The plain discriminator, never its DDP wrapper: it is frozen in the segmentor step, so
        it has no gradient to synchronise (its wrapper would wait for one).
        """
        return gan_loss(self.discriminator[name](target_maps), SOURCE_LABEL, self.gan_type)

    def train_step(self, data: dict, optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One adversarial iteration: segmentor step, then discriminator step."""
        if not isinstance(optim_wrapper, OptimWrapperDict) or 'discriminator' not in optim_wrapper:
            raise TypeError(f'{type(self).__name__} trains two optimizers: optim_wrapper must have '
                            '"segmentor" and "discriminator" entries built by '
                            "constructor='MultiOptimWrapperConstructor' (see "
                            'configs/_base_/schedules/synthetic_adversarial.py)')
        data = self.data_preprocessor(data, True)
        log_vars, disc_inputs = self.train_segmentor(
            data['source'], data['target'], optim_wrapper['segmentor'])
        log_vars.update(self.train_discriminator(disc_inputs, optim_wrapper['discriminator']))
        return log_vars

    def train_segmentor(self, source: Batch, target: Batch, optim_wrapper: OptimWrapper
                        ) -> Tuple[Dict[str, Tensor], Dict[str, Tuple[Tensor, Tensor]]]:
        """Update the segmentor with the discriminators frozen (they receive no gradient)."""
        set_requires_grad(self.discriminator, False)
        try:
            with optim_wrapper.optim_context(self.segmentor):
                losses, disc_inputs = self.segmentor_losses(source, target)
            parsed, log_vars = self.parse_losses(losses)
            optim_wrapper.update_params(parsed)
        finally:
            set_requires_grad(self.discriminator, True)
        return _detached(log_vars), disc_inputs

    def train_discriminator(self, disc_inputs: Dict[str, Tuple[Tensor, Tensor]],
                            optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """Update the discriminators on detached maps (the segmentor receives no gradient)."""
        with optim_wrapper.optim_context(self.discriminator):
            losses = {}
            for name, (source_maps, target_maps) in disc_inputs.items():
                # Through its DDP wrapper when there is one: this step trains it.
                disc = self._ddp.get(f'discriminator.{name}', self.discriminator[name])
                losses[f'loss_disc_{name}_src'] = gan_loss(
                    disc(source_maps.detach()), SOURCE_LABEL, self.gan_type) / 2
                losses[f'loss_disc_{name}_tgt'] = gan_loss(
                    disc(target_maps.detach()), TARGET_LABEL, self.gan_type) / 2
        parsed, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(parsed)
        log_vars['loss_disc'] = log_vars.pop('loss')  # 'loss' stays the segmentor's total
        return _detached(log_vars)


# ----------------------------------------------------------------------- self-training methods
class SelfTrainingAdaptor(BaseAdaptor):
    """Shared loss of the self-training methods (CBST, CRST, IAST, VST), seed Eq. 5 / Eq. 13:

        L = lambda_seg_s * L_seg(P_s, y_s) + lambda_seg_t * L_seg(P_t, y_t^) + lambda_reg * L_reg

    over every frame of the source and target clips. The pseudo labels y_t^ arrive as the
    target batch's ``gt_seg``: the target dataset reads the round the ``PseudoLabelHook``
    published (255 where a policy ignored the pixel). Subclasses refine the labels online
    (:meth:`target_labels`, VST's temporal consensus) and add a regulariser
    (:meth:`regularizer`). With ``lambda_seg_s = 0`` the source clips are not forwarded.

    Besides the loss terms, ``tgt_labelled`` (the labelled fraction of the target pixels the
    loss used) is logged.

    Args:
        segmentor: Config of the mmseg segmentor.
        lambda_seg_s: Weight of the source cross-entropy.
        lambda_seg_t: Weight of the target (pseudo-label) cross-entropy.
        lambda_reg: Weight of the regulariser (0: not computed).
        data_preprocessor: Config of the data preprocessor.
        init_cfg: Initialisation config.
    """

    def __init__(self, segmentor: dict, lambda_seg_s: float = 1.0, lambda_seg_t: float = 1.0,
                 lambda_reg: float = 0.0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.lambda_seg_s = lambda_seg_s
        self.lambda_seg_t = lambda_seg_t
        self.lambda_reg = lambda_reg

    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        losses = {}
        if self.lambda_seg_s > 0:
            losses['loss_seg_src'] = self.lambda_seg_s * self.seg_loss(
                self.segment(source['inputs']), source['gt_seg'])
        logits = self.segment(target['inputs'])  # (N, T, C, H, W)
        labels = self.target_labels(target)  # (N, T, H, W)
        losses['loss_seg_tgt'] = self.lambda_seg_t * self.seg_loss(logits, labels)
        if self.lambda_reg > 0:
            for name, value in self.regularizer(logits.flatten(0, 1), labels.flatten(0, 1)).items():
                losses[name] = self.lambda_reg * value
        losses['tgt_labelled'] = (labels != self.ignore_index).float().mean().detach()
        return losses

    def target_labels(self, target: Batch) -> Tensor:
        """The target pseudo labels the loss uses, (N, T, H, W) int64; default: as loaded."""
        return target['gt_seg']

    def regularizer(self, logits: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        """Named regularisation terms (each scaled by ``lambda_reg``) of (M, C, H, W) target
        logits and their (M, H, W) pseudo labels; none by default."""
        return {}
