"""CRST (Zou et al., ICCV 2019): class-balanced self-training with confidence regularisation."""
from typing import Dict, Optional

from torch import Tensor

from uda_toolbox.adaptors.base import Batch, reduce_over_frames
from uda_toolbox.adaptors.self_training import SelfTrainingAdaptor
from uda_toolbox.models.losses import mrent_regularizer, mrkld_regularizer, top2_soft_cross_entropy
from uda_toolbox.registry import MODELS
from uda_toolbox.utils.soft_labels import decode_top2

#: Model regularisers: a term added to the loss on the pseudo-labelled pixels.
MODEL_REGULARIZERS = dict(mrkld=mrkld_regularizer, mrent=mrent_regularizer)
#: 'lrent' regularises the labels instead: soft labels written by LabelEntropyPolicy.
REGULARIZERS = ('mrkld', 'lrent', 'mrent')


@MODELS.register_module()
class CRST(SelfTrainingAdaptor):
    """CBST's loss with one of CRST's confidence regularisers (Shin et al. (2021) Eq. 5).

    * ``regularizer='mrkld'`` (CRST's MR-KLD, the default and Shin et al. (2021)'s "confident
      region KLD minimisation"): + lambda_reg * -(1/C) sum_c log p_c on the labelled pixels,
      i.e. KL(uniform || p) up to a constant, weight 0.1 (CRST's mrkld.sh). Labels:
      ``ClassBalancedPolicy``.
    * ``'lrent'`` (CRST's LR-ENT): the regulariser acts on the labels, so there is no extra
      loss term; the pseudo labels are the soft labels of ``LabelEntropyPolicy`` (its ``alpha``
      = 0.25 is LR-ENT's weight, CRST's lrent.sh), read by ``LoadClipSoftLabels`` into the
      target batch's ``gt_soft``, and L_seg is the soft cross-entropy. ``lambda_reg`` must be 0.
    * ``'mrent'``: the negative entropy of the output on the labelled pixels
      (``mrent_regularizer``), weight ``lambda_reg``; hard labels. An option: what the toolbox
      ran as LR-ENT until issue 16 (docs/methods/crst.md).

    Args:
        segmentor: Config of the mmseg segmentor.
        regularizer: ``'mrkld'``, ``'lrent'`` or ``'mrent'``.
        lambda_seg_s, lambda_seg_t: Weights of the source and pseudo-label cross-entropies.
        lambda_reg: Weight of a model regulariser (CRST: 0.1 for MR-KLD; 0 for LR-ENT).
        frame_reduction: As :class:`SelfTrainingAdaptor` (``'pooled'``: every frame an image).
        data_preprocessor, init_cfg: As :class:`BaseAdaptor`.
    """

    def __init__(self, segmentor: dict, regularizer: str = 'mrkld', lambda_seg_s: float = 1.0,
                 lambda_seg_t: float = 1.0, lambda_reg: float = 0.1,
                 frame_reduction: str = 'pooled', data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if regularizer not in REGULARIZERS:
            raise ValueError(f'CRST: regularizer must be one of {REGULARIZERS}, got '
                             f'{regularizer!r} (model.regularizer in the config)')
        if regularizer == 'lrent' and lambda_reg != 0:
            raise ValueError(
                "CRST(regularizer='lrent'): LR-ENT regularises the pseudo labels, its weight is "
                'the policy\'s (pseudo_labels.policy=dict(type=\'LabelEntropyPolicy\', '
                f'alpha=0.25)); set model.lambda_reg=0 (got {lambda_reg}).')
        super().__init__(segmentor, lambda_seg_s=lambda_seg_s, lambda_seg_t=lambda_seg_t,
                         lambda_reg=lambda_reg, frame_reduction=frame_reduction,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.regularizer_name = regularizer

    def target_seg_loss(self, logits: Tensor, labels: Tensor, target: Batch) -> Tensor:
        if self.regularizer_name != 'lrent':
            return super().target_seg_loss(logits, labels, target)
        soft = target.get('gt_soft')
        if soft is None:
            raise ValueError(
                "CRST(regularizer='lrent') trains on soft pseudo labels: use "
                "pseudo_labels.policy=dict(type='LabelEntropyPolicy', ...) and add "
                "dict(type='LoadClipSoftLabels') after LoadClipAnnotations in the target pipeline "
                '(configs/crst/*_lrent.py).')
        first, second, weight = decode_top2(soft)  # each (N, T, H, W)
        return reduce_over_frames(
            lambda x, *packed: top2_soft_cross_entropy(x, *packed, ignore_index=self.ignore_index),
            self.frame_reduction, logits, first, second, weight)

    def regularizer(self, logits: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        if self.regularizer_name not in MODEL_REGULARIZERS:
            return {}
        fn = MODEL_REGULARIZERS[self.regularizer_name]
        return {f'loss_{self.regularizer_name}': fn(logits, labels, self.ignore_index)}
