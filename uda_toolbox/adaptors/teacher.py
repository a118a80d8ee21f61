"""Online self-training against a teacher copy of the segmentor (EMA or frozen), with MIC as a switch.

The base of DACS and DAFormer (and of any method whose pseudo labels come from a teacher inside the
training step): the teacher is a child module, so it is saved in every checkpoint with the student
and ``--resume`` continues exactly. Its labels go through the filters of
``uda_toolbox.pseudo_labels.online``. docs/methods/dacs.md, daformer.md, mic.md.
"""
import copy
from abc import abstractmethod
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor
from torch.nn.modules.dropout import _DropoutNd

from uda_toolbox.adaptors.base import BaseAdaptor, Batch, segmentor_logits
from uda_toolbox.models.augmentation import (
    CLASS_POOLS,
    block_mask,
    class_mix_masks,
    mix,
    strong_augment,
)
from uda_toolbox.models.losses import weighted_cross_entropy
from uda_toolbox.pseudo_labels.online import build_filters, online_pseudo_labels
from uda_toolbox.registry import MODELS
from uda_toolbox.utils.options import with_defaults

#: DACS / DAFormer's strong augmentation of the mixed images (``dacs.py`` config: colour jitter
#: strength 0.2, skipped with probability 0.2, i.e. applied with 0.8; blur with 0.5).
DACS_AUGMENTATION = dict(jitter_strength=0.2, jitter_probability=0.8, blur_probability=0.5)
#: The pseudo-label weighting of DACS / DAFormer: q = share of pixels with confidence >= 0.968.
DACS_FILTERS = (dict(type='ConfidenceWeight', threshold=0.968),)
#: MIC (Hoyer et al., CVPR 2023) as configured for DAFormer / HRDA: 64 x 64 blocks (32 at half
#: resolution, MIC ``experiments.py``), 70 % masked, loss weight 1, masked image colour-augmented
#: first (``mask_mode='separatetrgaug'``).
MIC_DEFAULTS = dict(block_size=64, mask_ratio=0.7, loss_weight=1.0, augment=True)


def teacher_config(segmentor: dict) -> dict:
    """The teacher's segmentor config: the student's, without loading pretrained weights (the
    teacher takes the student's weights at its first update)."""
    cfg = copy.deepcopy(dict(segmentor))
    backbone = cfg.get('backbone')
    if isinstance(backbone, dict):
        cfg['backbone'] = dict(backbone, init_cfg=None)
    cfg.pop('pretrained', None)
    return cfg


@contextmanager
def dropout_off(module: nn.Module) -> Iterator[None]:
    """Dropout and DropPath layers of ``module`` in eval mode for the duration; everything else
    (BatchNorm) keeps its mode. DAFormer / MIC's teacher forward (``teacher_module.py``)."""
    switched = [m for m in module.modules()
                if m.training and (isinstance(m, _DropoutNd) or type(m).__name__ == 'DropPath')]
    for m in switched:
        m.training = False
    try:
        yield
    finally:
        for m in switched:
            m.training = True


class TeacherAdaptor(BaseAdaptor):
    """Self-training with labels from an online teacher, plus Masked Image Consistency when asked.

    Every training step (:meth:`train_step`):

    1. :meth:`update_teacher`: at the first step the teacher takes the student's weights; after
       that, with ``ema_alpha`` set, every parameter becomes the exponential moving average
       ``theta_t <- a_k theta_t + (1 - a_k) theta_s`` with the warm-up rule of the DACS / DAFormer
       code, ``a_k = min(1 - 1 / (k + 1), ema_alpha)`` at step k (DAFormer Sec. 3.1,
       ``_update_ema``). Buffers are the teacher's own (the codes average parameters only).
       ``ema_alpha=None``: a frozen teacher (the student's weights at the first step, e.g. the
       ``load_from`` model).
    2. :meth:`pseudo_labels`: the teacher predicts the target frames (train mode, as the codes
       run it, with dropout and DropPath off) and the filters turn the probabilities into labels
       and per-pixel weights (DACS / DAFormer: every pixel labelled, weight q = share of
       confident pixels).
    3. :meth:`student_losses` (the method's terms) and, with ``mic``, :meth:`mic_loss`.

    The step counter ``teacher_updates`` is a buffer, saved with the weights: a resumed run
    continues the warm-up where it stopped (DAFormer's counter restarts at 0 on resume).

    Args:
        segmentor: Config of the mmseg segmentor (student and teacher).
        ema_alpha: EMA coefficient alpha (0.99 DACS, 0.999 DAFormer); None: frozen teacher.
        pseudo_label_filters: The filter chain (configs of ``PSEUDO_LABEL_FILTERS`` or callables).
        strong_augmentation: Keyword arguments of ``models.augmentation.strong_augment`` for the
            mixed images (and MIC's masked images): ``jitter_strength``, ``jitter_probability``,
            ``blur_probability``.
        class_pool: Where ClassMix draws its classes: ``'image'`` (DACS) or ``'batch'``
            (DAFormer's code), see ``class_mix_masks``.
        mic: None, or MIC's options ``block_size``, ``mask_ratio``, ``loss_weight``, ``augment``
            (defaults :data:`MIC_DEFAULTS`; any key given replaces its default).
        data_preprocessor, init_cfg: As :class:`BaseAdaptor`.
    """

    def __init__(self, segmentor: dict, ema_alpha: Optional[float] = 0.999,
                 pseudo_label_filters: Sequence = DACS_FILTERS,
                 strong_augmentation: Optional[dict] = None, class_pool: str = 'image',
                 mic: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if ema_alpha is not None and not 0.0 <= ema_alpha <= 1.0:
            raise ValueError(f'model.ema_alpha must be in [0, 1] or None (frozen teacher), '
                             f'got {ema_alpha}')
        self.ema_alpha = ema_alpha
        self.teacher = MODELS.build(teacher_config(segmentor))
        self.teacher.requires_grad_(False)
        self.register_buffer('teacher_updates', torch.tensor(0, dtype=torch.long))
        self.filters = build_filters(pseudo_label_filters)
        self.strong_augmentation = dict(DACS_AUGMENTATION, **(strong_augmentation or {}))
        if class_pool not in CLASS_POOLS:
            raise ValueError(f'model.class_pool must be one of {CLASS_POOLS}, got {class_pool!r}')
        self.class_pool = class_pool
        if mic is not None:
            mic = with_defaults('model.mic', mic, MIC_DEFAULTS)
        self.mic = mic

    # ------------------------------------------------------------------ the teacher
    def ema_coefficient(self, step: int) -> float:
        """a_k = min(1 - 1 / (k + 1), alpha): the DACS / DAFormer warm-up of the EMA."""
        return min(1.0 - 1.0 / (step + 1), self.ema_alpha)

    @torch.no_grad()
    def update_teacher(self) -> None:
        """Step k = ``teacher_updates``: k = 0 copies the student, k > 0 is one EMA update."""
        step = int(self.teacher_updates)
        student = list(self.segmentor.parameters())
        teacher = list(self.teacher.parameters())
        if len(student) != len(teacher):
            raise RuntimeError('the teacher and the student segmentor have different parameters')
        if step == 0:
            for t, s in zip(teacher, student):
                t.copy_(s)
        elif self.ema_alpha is not None:
            # lerp: t + (1 - a) (s - t) = a t + (1 - a) s; one fused pass over all parameters.
            torch._foreach_lerp_(teacher, student, 1.0 - self.ema_coefficient(step))
        self.teacher_updates += 1

    @torch.no_grad()
    def teacher_probs(self, frames: Tensor) -> Tensor:
        """The teacher's class probabilities (N, T, C, H, W) of (N, T, 3, H, W) frames."""
        with dropout_off(self.teacher):
            logits = segmentor_logits(self.teacher, frames)['main']
        return logits.softmax(dim=2)

    def pseudo_labels(self, target: Batch) -> Tuple[Tensor, Tensor]:
        """Labels (N, T, H, W) and weights (N, T, H, W) of the target frames, from the teacher."""
        return online_pseudo_labels(self.teacher_probs(target['inputs']), target, self.filters,
                                    self.ignore_index)

    # ------------------------------------------------------------------ training
    def train_step(self, data: dict, optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, Tensor]:
        """Update the teacher (from the student as the last step left it), then one step."""
        self.update_teacher()
        return super().train_step(data, optim_wrapper)

    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        labels, weights = self.pseudo_labels(target)
        losses = self.student_losses(source, target, labels, weights)
        if self.mic is not None:
            losses['loss_mic'] = self.mic_loss(target, labels, weights)
        losses['pseudo_weight'] = weights.mean()  # logged only (no 'loss' in the name)
        return losses

    @abstractmethod
    def student_losses(self, source: Batch, target: Batch, labels: Tensor, weights: Tensor
                       ) -> Dict[str, Tensor]:
        """The method's named loss terms, given the teacher's labels and weights (N, T, H, W)."""

    # ------------------------------------------------------------------ shared terms
    def pixel_loss(self, logits: Tensor, labels: Tensor, weights: Optional[Tensor] = None) -> Tensor:
        """(Weighted) cross-entropy of (N, T, C, H, W) logits, averaged over every pixel as
        mmseg 0.x does in the DACS / DAFormer codes (``models.losses.weighted_cross_entropy``)."""
        flat_labels = labels.flatten(0, 1)
        flat_weights = torch.ones_like(flat_labels, dtype=logits.dtype) if weights is None \
            else weights.flatten(0, 1)
        return weighted_cross_entropy(logits.flatten(0, 1), flat_labels, flat_weights,
                                      self.ignore_index)

    def augment(self, frames: Tensor) -> Tensor:
        """DACS's colour jitter and blur of (N, T, 3, H, W) normalised frames, each an image."""
        stats = dict(mean=getattr(self.data_preprocessor, 'mean', None),
                     std=getattr(self.data_preprocessor, 'std', None))
        return strong_augment(frames.flatten(0, 1), **stats,
                              **self.strong_augmentation).unflatten(0, frames.shape[:2])

    def class_mix_loss(self, source: Batch, target: Batch, labels: Tensor, weights: Tensor
                       ) -> Tensor:
        """DACS's ClassMix term: half the source classes pasted onto the target frame (image,
        labels; the pasted pixels weigh 1, the target's pseudo labels their weight), augmented,
        then the weighted cross-entropy of the student's prediction (DACS Sec. 3, DAFormer
        Sec. 3.1). Frame i of source clip n is mixed into frame i of target clip n."""
        if source['inputs'].shape[-2:] != target['inputs'].shape[-2:]:
            raise ValueError(
                f'ClassMix pastes source pixels onto target frames, which needs one frame size; '
                f'got source {tuple(source["inputs"].shape[-2:])} and target '
                f'{tuple(target["inputs"].shape[-2:])} (H, W). Crop both domains to one size '
                '(configs/_base_/datasets/viper2cityscapes_crop512.py).')
        masks = class_mix_masks(source['gt_seg'].flatten(0, 1), self.class_pool)
        masks = masks.unflatten(0, labels.shape[:2])
        mixed = self.augment(mix(masks.flatten(0, 1), source['inputs'].flatten(0, 1),
                                 target['inputs'].flatten(0, 1)).unflatten(0, masks.shape[:2]))
        mixed_labels = mix(masks, source['gt_seg'], labels)
        mixed_weights = mix(masks, torch.ones_like(weights), weights)
        return self.pixel_loss(self.segment(mixed), mixed_labels, mixed_weights)

    def mic_loss(self, target: Batch, labels: Tensor, weights: Tensor) -> Tensor:
        """MIC (Hoyer et al., CVPR 2023, Sec. 3): the target frames, colour-augmented (when
        ``augment``) and with random blocks set to zero (the mean colour after normalisation),
        against the teacher's labels and weights of the complete frames, times ``loss_weight``."""
        frames = self.augment(target['inputs']) if self.mic['augment'] else target['inputs']
        n, t, _, h, w = frames.shape
        mask = block_mask(n * t, h, w, self.mic['block_size'], self.mic['mask_ratio'],
                          device=frames.device)
        masked = frames * mask.unflatten(0, (n, t))
        return self.mic['loss_weight'] * self.pixel_loss(self.segment(masked), labels, weights)
