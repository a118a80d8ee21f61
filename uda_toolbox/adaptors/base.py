"""The adaptor base: a segmentor plus what a UDA method needs, trained one UDA iteration per step.

The families of methods build on it in ``adversarial.py`` (AdaptSegNet, ADVENT, VAT),
``self_training.py`` (CBST, CRST, IAST, VST: offline pseudo-label rounds) and ``teacher.py`` (DACS,
DAFormer, MIC: an online teacher); a method file imports only these modules of the package (and
the shared losses, policies, filters and temporal operations).
"""
import os.path as osp
from abc import ABCMeta, abstractmethod
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmseg.models.utils import resize
from mmseg.structures import SegDataSample
from torch import Tensor

from uda_toolbox.registry import MODELS
from uda_toolbox.utils.checkpoint import CheckpointError

Batch = Dict[str, Tensor]

#: How a loss over the frames of a clip batch combines them (each page of docs/methods/ says which):
#: ``'pooled'`` treats every frame as an image of one batch (one mean over all their labelled
#: pixels, as the image methods' code averages a batch); ``'sum'`` takes the loss of each frame
#: position over the batch and sums the positions (Shin et al. (2021) Eq. 9 and Eq. 13).
FRAME_REDUCTIONS = ('pooled', 'sum')


def reduce_over_frames(loss_fn: Callable, reduction: str, *clips: Tensor):
    """``loss_fn`` of per-frame tensors applied to clip batches, the frames combined by
    ``reduction``.

    Args:
        loss_fn: Takes one (M, ...) tensor per entry of ``clips`` (e.g. logits (M, C, H, W) and
            labels (M, H, W)) and returns a scalar tensor or a dict of named scalar terms.
        reduction: ``'pooled'``: one call on the N*T frames; ``'sum'``: one call per frame
            position t (on the N frames at t), summed over t (each term by name for a dict).
        clips: Tensors (N, T, ...), e.g. logits (N, T, C, H, W) and labels (N, T, H, W).
    """
    if reduction == 'pooled':
        return loss_fn(*(x.flatten(0, 1) for x in clips))
    if reduction != 'sum':
        raise ValueError(f'frame reduction must be one of {FRAME_REDUCTIONS}, got {reduction!r} '
                         '(model.frame_reduction in the config)')
    terms = [loss_fn(*(x[:, t] for x in clips)) for t in range(clips[0].shape[1])]
    if isinstance(terms[0], dict):
        return {name: sum(term[name] for term in terms) for name in terms[0]}
    return sum(terms)


def check_pretrained_backbone(segmentor_cfg: dict, key: str = 'model.segmentor') -> dict:
    """Stop, with the fix, when the backbone's pretrained file does not exist.

    No weights can be downloaded on the machines this toolbox targets, so the ImageNet file of
    the real-data configs is a local path (docs/get_started.md, "Backbone weights"). Training from
    random weights instead would run for days and report numbers far below the papers', so a
    missing file is an error; random initialisation is an explicit choice,
    ``model.segmentor.backbone.init_cfg=None``. URLs (``scheme://``) are left to mmengine. A
    wrapper segmentor (``TwoFrameSegmentor``) is looked into: its ``segmentor`` holds the backbone.

    Returns:
        ``segmentor_cfg`` unchanged.
    Raises:
        CheckpointError: naming the key, the file and the three ways out (the tools print it
            without a traceback).
    """
    if 'backbone' not in segmentor_cfg and isinstance(segmentor_cfg.get('segmentor'), dict):
        return dict(segmentor_cfg, segmentor=check_pretrained_backbone(segmentor_cfg['segmentor'],
                                                                       f'{key}.segmentor'))
    backbone = segmentor_cfg.get('backbone', {})
    init_cfg = backbone.get('init_cfg') if isinstance(backbone, dict) else None
    if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
        path = str(init_cfg.get('checkpoint', ''))
        if '://' not in path and not osp.isfile(path):
            raise CheckpointError(
                f'Backbone weights {path!r} ({key}.backbone.init_cfg.checkpoint) do not '
                'exist. Put the ImageNet ResNet weights there (convert torchvision or mmpretrain '
                'weights with tools/convert_backbone.py SRC ' + path + '; docs/get_started.md, '
                '"Backbone weights"), or point to them with --cfg-options '
                f'{key}.backbone.init_cfg.checkpoint=/path/to/resnet50.pth, or train '
                'from random weights on purpose with --cfg-options '
                f'{key}.backbone.init_cfg=None.')
    return segmentor_cfg


def head_losses(head: nn.Module) -> List[nn.Module]:
    """The loss modules a decode head was configured with (its ``loss_decode``, one or a list)."""
    losses = head.loss_decode
    return list(losses) if isinstance(losses, nn.ModuleList) else [losses]


def check_head_losses(segmentor: nn.Module) -> None:
    """Refuse a cross-entropy ``loss_decode`` that averages over ignored pixels too.

    The adaptors' segmentation loss is the head's configured one (:meth:`BaseAdaptor.seg_loss`).
    Shin et al. (2021) Eq. 3 / Eq. 5 average the cross-entropy over the labelled pixels only; mmseg's
    ``CrossEntropyLoss`` does that with ``avg_non_ignore=True`` (its default False divides by every
    pixel, which shrinks the loss of sparse pseudo labels by their share of the frame).
    """
    heads = [('decode_head', segmentor.decode_head)]
    if getattr(segmentor, 'with_auxiliary_head', False):
        aux = segmentor.auxiliary_head
        heads += ([(f'auxiliary_head[{k}]', h) for k, h in enumerate(aux)]
                  if isinstance(aux, nn.ModuleList) else [('auxiliary_head', aux)])
    for name, head in heads:
        for loss in head_losses(head):
            if (type(loss).__name__ == 'CrossEntropyLoss' and not getattr(loss, 'use_sigmoid', False)
                    and not getattr(loss, 'avg_non_ignore', True)):
                raise ValueError(
                    f'model.segmentor.{name}.loss_decode: CrossEntropyLoss with avg_non_ignore=False '
                    'averages over ignored pixels too; the adaptors\' cross-entropy (Shin et al. '
                    '(2021) Eq. 3 / Eq. 5) averages over labelled pixels: set avg_non_ignore=True.')


def configured_seg_loss(head: nn.Module, logits: Tensor, labels: Tensor) -> Tensor:
    """The sum of ``head``'s configured losses of (M, C, H, W) logits and (M, H, W) labels, called
    as mmseg's ``BaseDecodeHead.loss_by_feat`` calls them (``ignore_index`` of the head).

    With the configs' ``CrossEntropyLoss(avg_non_ignore=True)`` this is Eq. 3's cross-entropy over
    the labelled pixels, equal to ``models.losses.masked_cross_entropy`` (to the bit, except for
    a batch with a single labelled pixel, where mmseg adds float32 epsilon to the divisor).
    """
    return sum(loss(logits, labels, ignore_index=head.ignore_index) for loss in head_losses(head))


def segmentor_logits(segmentor: nn.Module, frames: Tensor, aux: bool = False,
                     features: bool = False) -> Dict[str, Any]:
    """Class scores of every frame of a clip batch at input resolution.

    Args:
        segmentor: An mmseg ``EncoderDecoder``.
        frames: (N, T, 3, H, W) normalised frames.
        aux: Also score with the auxiliary classifier on an earlier backbone stage
            (multi-level AdaptSegNet / ADVENT), when the segmentor has one.
        features: Also return the backbone's (and neck's) outputs under ``'features'``, a list of
            (N*T, C_i, h_i, w_i) (DAFormer's feature distance reads them from the same forward).
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
    out: Dict[str, Any] = {
        level: resize(head(feats), size=flat.shape[-2:], mode='bilinear',
                      align_corners=segmentor.align_corners).unflatten(0, (n, t))
        for level, head in heads.items()
    }
    if features:
        out['features'] = list(feats)
    return out


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

    def forward(self, frames: Tensor, aux: bool = False, features: bool = False) -> Dict[str, Any]:
        return segmentor_logits(self.segmentor, frames, aux, features)


class BaseAdaptor(BaseModel, metaclass=ABCMeta):
    """An mmengine model that owns an mmseg segmentor and adapts it to a target domain.

    Training: :meth:`train_step` gets a ``{'source': clips, 'target': clips}`` batch
    (see ``ClipSegDataPreProcessor``) and runs one UDA iteration. Methods with one
    optimizer implement :meth:`loss`; adversarial methods override :meth:`train_step`
    and receive an ``OptimWrapperDict`` with ``segmentor`` and ``discriminator``.

    Inference (val/test) is the segmentor's own ``predict``, so every method costs the
    same at test time (Shin et al. (2021): no inference overhead); a two-frame segmentor
    (DA-VSN, TPS) also takes the previous frame and the flow that its test batches carry.

    Data parallel (docs/distributed.md): ``AdaptorDistributedDataParallel`` wraps each module of
    :meth:`ddp_modules` in its own DDP and hands the wrappers back through :meth:`attach_ddp`.
    Every training forward that updates parameters goes through :meth:`segment_levels` (and,
    for the discriminators, :meth:`AdversarialAdaptor.train_discriminator`), which use those
    wrappers when gradients are on; attribute access, inference and no-grad forwards use the
    plain modules, so the adaptor reads the same in one process and under DDP.

    Source-free adaptors (``adaptors/source_free.py``, docs/source_free.md) set the class
    attribute :attr:`needs_source` to False: ``uda_toolbox.apis`` then refuses a config that
    defines a source dataset, and their batches hold only ``'target'``.

    Args:
        segmentor: Config of an mmseg segmentor (e.g. ``EncoderDecoder``).
        data_preprocessor: Config of the data preprocessor (``ClipSegDataPreProcessor``).
        init_cfg: Initialisation config.
    """

    #: Whether the method trains on labelled source clips (False: source-free adaptation).
    needs_source: bool = True

    def __init__(self, segmentor: dict, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.segmentor = MODELS.build(check_pretrained_backbone(segmentor))
        check_head_losses(self.segmentor)
        self.num_classes: int = self.segmentor.decode_head.num_classes
        self.ignore_index: int = self.segmentor.decode_head.ignore_index
        # DDP wrappers by name (see ddp_modules); a plain dict, so not part of the state dict.
        self._ddp: Dict[str, nn.Module] = {}

    @property
    def out_channels(self) -> int:
        """The segmentor's output channels (mmseg's ``SegTTAModel`` reads it: test-time
        augmentation, ``tools/test.py --tta``)."""
        return self.segmentor.out_channels

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

    def segment_with_features(self, frames: Tensor) -> Tuple[Tensor, List[Tensor]]:
        """Like :meth:`segment`, plus the backbone outputs of the same forward (a list of
        (N*T, C_i, h_i, w_i)), through the DDP wrapper when gradients are on."""
        ddp = self._ddp.get('segmentor') if torch.is_grad_enabled() else None
        out = ddp(frames, False, True) if ddp is not None else segmentor_logits(
            self.segmentor, frames, False, True)
        return out['main'], out['features']

    def seg_loss(self, logits: Tensor, labels: Tensor, reduction: str = 'pooled',
                 level: str = 'main') -> Tensor:
        """The segmentation loss of (N, T, C, H, W) logits against (N, T, H, W) labels: the
        configured ``loss_decode`` of the level's head (the main ``decode_head``, or for
        ``level='aux'`` the ``auxiliary_head``; the configs' cross-entropy of Eq. 3), the frames
        combined as ``reduction`` says (:func:`reduce_over_frames`)."""
        head = self.segmentor.decode_head if level == 'main' else self.segmentor.auxiliary_head
        return reduce_over_frames(lambda x, y: configured_seg_loss(head, x, y), reduction,
                                  logits, labels)

    def per_level(self, source: Batch, target: Batch, losses: Dict[str, Tensor],
                  lambda_seg_aux: float) -> Iterator[Tuple[str, str, Tensor, Tensor]]:
        """The classifier levels of the multi-level methods (AdaptSegNet Sec. 3.3, ADVENT, MinEnt).

        For each level (``'main'``, then ``'aux'`` when the segmentor has an auxiliary head) it
        first adds that level's source cross-entropy to ``losses`` (``loss_seg_src`` /
        ``loss_seg_src_aux``, the auxiliary one weighted by ``lambda_seg_aux``), then yields
        ``(level, suffix, source_logits, target_logits)``, each (N, T, C, H, W), so the method
        adds its own terms of that level right after (the order of the loss sum).
        """
        source_logits = self.segment_levels(source['inputs'])
        target_logits = self.segment_levels(target['inputs'])
        for level, src in source_logits.items():
            suffix = '' if level == 'main' else f'_{level}'
            weight = 1.0 if level == 'main' else lambda_seg_aux
            losses[f'loss_seg_src{suffix}'] = weight * self.seg_loss(src, source['gt_seg'],
                                                                     level=level)
            yield level, suffix, src, target_logits[level]

    # ----------------------------------------------------------------- inference
    def forward(self, inputs: Tensor, data_samples: Optional[List[SegDataSample]] = None,
                mode: str = 'tensor', **context: Tensor):
        """``predict`` and ``tensor`` modes delegate to the segmentor; training uses train_step.

        ``context``: the ``previous`` frames and ``flows`` of a test batch that carries them
        (``ClipSegDataPreProcessor``), passed to a segmentor that takes them
        (``takes_previous_frame``, the two-frame segmentor); a single-frame segmentor predicts from
        the frame alone, so one test pipeline serves both.
        """
        if not getattr(self.segmentor, 'takes_previous_frame', False):
            context = {}
        if mode == 'predict':
            return self.segmentor.predict(inputs, data_samples, **context)
        if mode == 'tensor':
            return self.segmentor._forward(inputs, data_samples, **context)
        raise ValueError(f'{type(self).__name__}.forward got mode={mode!r}: adaptors train '
                         'through train_step(); use mode "predict" or "tensor" for inference. '
                         'Under DDP, model_wrapper_cfg must be '
                         "dict(type='AdaptorDistributedDataParallel') (the default of "
                         'configs/_base_/default_runtime.py), not MMDistributedDataParallel.')
