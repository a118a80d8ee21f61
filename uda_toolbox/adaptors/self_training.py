"""Self-training adaptors: cross-entropy on target pseudo labels (offline rounds) plus a regulariser.

Shared by CBST, CRST, IAST and VST (Shin et al. (2021) Eq. 5 / Eq. 13). The pseudo labels are
written by ``PseudoLabelHook`` rounds (config key ``pseudo_labels``) and arrive as the target
batch's ``gt_seg``.
"""
from typing import Dict, Optional

from torch import Tensor

from uda_toolbox.adaptors.base import FRAME_REDUCTIONS, BaseAdaptor, Batch, reduce_over_frames
from uda_toolbox.models.losses import iast_regularizer


class SelfTrainingAdaptor(BaseAdaptor):
    """Shared loss of the self-training methods (CBST, CRST, IAST, VST), Shin et al. (2021) Eq. 5 / Eq. 13:

        L = lambda_seg_s * L_seg(P_s, y_s) + lambda_seg_t * L_seg(P_t, y_t^) + lambda_reg * L_reg

    over every frame of the source and target clips. The pseudo labels y_t^ arrive as the
    target batch's ``gt_seg``: the target dataset reads the round the ``PseudoLabelHook``
    published (255 where a policy ignored the pixel). Subclasses refine the labels online
    (:meth:`target_labels`, VST's temporal consensus) and add a regulariser
    (:meth:`regularizer`). With ``lambda_seg_s = 0`` the source clips are not forwarded.

    Besides the loss terms, ``tgt_labelled`` (the labelled fraction of the target pixels the
    loss used) is logged.

    ``frame_reduction`` says how the frames of a clip batch add up (``reduce_over_frames``):
    the image methods (CBST, CRST, IAST) see every frame as an image of the batch and average
    each term over the batch's pixels, as their code does (``'pooled'``); VST sums each term
    over the two frames, Shin et al. (2021) Eq. 13 (``'sum'``).

    Args:
        segmentor: Config of the mmseg segmentor.
        lambda_seg_s: Weight of the source cross-entropy.
        lambda_seg_t: Weight of the target (pseudo-label) cross-entropy.
        lambda_reg: Weight of the regulariser (0: not computed).
        frame_reduction: ``'pooled'`` or ``'sum'`` (see above).
        data_preprocessor: Config of the data preprocessor.
        init_cfg: Initialisation config.
    """

    def __init__(self, segmentor: dict, lambda_seg_s: float = 1.0, lambda_seg_t: float = 1.0,
                 lambda_reg: float = 0.0, frame_reduction: str = 'pooled',
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        if frame_reduction not in FRAME_REDUCTIONS:
            raise ValueError(f'{type(self).__name__}: frame_reduction must be one of '
                             f'{FRAME_REDUCTIONS}, got {frame_reduction!r} (model.frame_reduction)')
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.lambda_seg_s = lambda_seg_s
        self.lambda_seg_t = lambda_seg_t
        self.lambda_reg = lambda_reg
        self.frame_reduction = frame_reduction

    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        losses = {}
        if self.lambda_seg_s > 0:
            losses['loss_seg_src'] = self.lambda_seg_s * self.seg_loss(
                self.segment(source['inputs']), source['gt_seg'], self.frame_reduction)
        logits = self.segment(target['inputs'])  # (N, T, C, H, W)
        labels = self.target_labels(target)  # (N, T, H, W)
        losses['loss_seg_tgt'] = self.lambda_seg_t * self.target_seg_loss(logits, labels, target)
        if self.lambda_reg > 0:
            terms = reduce_over_frames(self.regularizer, self.frame_reduction, logits, labels)
            for name, value in terms.items():
                losses[name] = self.lambda_reg * value
        losses['tgt_labelled'] = (labels != self.ignore_index).float().mean().detach()
        return losses

    def target_labels(self, target: Batch) -> Tensor:
        """The target pseudo labels the loss uses, (N, T, H, W) int64; default: as loaded."""
        return target['gt_seg']

    def target_seg_loss(self, logits: Tensor, labels: Tensor, target: Batch) -> Tensor:
        """L_seg(P_t, y_t^) of (N, T, C, H, W) logits; default: cross-entropy on the hard labels
        (:meth:`target_labels`), the frames combined by ``frame_reduction``."""
        return self.seg_loss(logits, labels, self.frame_reduction)

    def regularizer(self, logits: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        """Named regularisation terms (each scaled by ``lambda_reg``) of (M, C, H, W) target
        logits and their (M, H, W) pseudo labels; none by default."""
        return {}


class IASTRegularizedAdaptor(SelfTrainingAdaptor):
    """Self-training with IAST's regulariser (Mei et al., ECCV 2020), shared by IAST and VST.

    L_reg = ent_weight * entropy on the ignored pixels + kld_weight * KLD to uniform on the
    labelled ones (``models.losses.iast_regularizer``), each term logged by name and scaled by
    ``lambda_reg``. IAST's self-training stage uses no source loss (its configs:
    SOURCE_LOSS_WEIGHT 0) and Shin et al. (2021)'s Eq. 13 has none either, so ``lambda_seg_s``
    defaults to 0.

    Args:
        segmentor: Config of the mmseg segmentor.
        lambda_seg_s: Weight of the source cross-entropy (0: IAST, VST).
        lambda_seg_t: Weight of the pseudo-label cross-entropy (1.0).
        lambda_reg: Weight of the whole regulariser (1.0; 0 switches it off).
        ent_weight: Weight of the ignored-region entropy (3.0, IAST's LAMBDA_ENTROPY_WEIGHT).
        kld_weight: Weight of the labelled-region KLD (0.1, IAST's LAMBDA_KLDREG_WEIGHT).
        frame_reduction: As :class:`SelfTrainingAdaptor` (IAST: ``'pooled'``).
        data_preprocessor, init_cfg: As :class:`BaseAdaptor`.
    """

    def __init__(self, segmentor: dict, lambda_seg_s: float = 0.0, lambda_seg_t: float = 1.0,
                 lambda_reg: float = 1.0, ent_weight: float = 3.0, kld_weight: float = 0.1,
                 frame_reduction: str = 'pooled', data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(segmentor, lambda_seg_s=lambda_seg_s, lambda_seg_t=lambda_seg_t,
                         lambda_reg=lambda_reg, frame_reduction=frame_reduction,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.ent_weight = ent_weight
        self.kld_weight = kld_weight

    def regularizer(self, logits: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        return iast_regularizer(logits, labels, self.ignore_index, self.ent_weight,
                                self.kld_weight)
