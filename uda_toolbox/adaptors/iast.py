"""IAST (Mei et al., ECCV 2020): instance-adaptive self-training after an adversarial warm-up."""
from typing import Dict, Optional

from torch import Tensor

from uda_toolbox.adaptors.base import SelfTrainingAdaptor
from uda_toolbox.models.losses import ignored_entropy_loss, labelled_kld_loss
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class IAST(SelfTrainingAdaptor):
    """Self-training on instance-adaptive pseudo labels with IAST's regulariser (seed Eq. 4-5).

    Labels: ``PseudoLabelHook(policy=InstanceAdaptivePolicy(...), instance=1)`` (each image an
    instance, seed Sec. 3). Loss: lambda_seg_t * L_seg(P_t, y_t^) + lambda_reg * (ent_weight *
    entropy on the ignored pixels + kld_weight * KLD to uniform on the labelled ones); IAST's
    self-training stage uses no source loss (its configs: SOURCE_LOSS_WEIGHT 0), so
    ``lambda_seg_s`` defaults to 0. The warm-up is an adversarial model loaded with
    ``load_from`` (docs/methods/iast.md).

    Args:
        segmentor: Config of the mmseg segmentor.
        lambda_seg_s: Weight of the source cross-entropy (0: IAST).
        lambda_seg_t: Weight of the pseudo-label cross-entropy (1.0).
        lambda_reg: Weight of the whole regulariser (1.0; 0 switches it off).
        ent_weight: Weight of the ignored-region entropy (3.0, IAST's LAMBDA_ENTROPY_WEIGHT).
        kld_weight: Weight of the labelled-region KLD (0.1, IAST's LAMBDA_KLDREG_WEIGHT).
        data_preprocessor, init_cfg: As :class:`BaseAdaptor`.
    """

    def __init__(self, segmentor: dict, lambda_seg_s: float = 0.0, lambda_seg_t: float = 1.0,
                 lambda_reg: float = 1.0, ent_weight: float = 3.0, kld_weight: float = 0.1,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(segmentor, lambda_seg_s=lambda_seg_s, lambda_seg_t=lambda_seg_t,
                         lambda_reg=lambda_reg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.ent_weight = ent_weight
        self.kld_weight = kld_weight

    def regularizer(self, logits: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        # The two terms are logged apart; their weighted sum is IAST's L_reg (iast_regularizer).
        return dict(
            loss_reg_ent=self.ent_weight * ignored_entropy_loss(logits, labels, self.ignore_index),
            loss_reg_kld=self.kld_weight * labelled_kld_loss(logits, labels, self.ignore_index))
