"""MinEnt (Vu et al., CVPR 2019): ADVENT's direct entropy minimisation, no discriminator."""
from typing import Dict, Optional

from torch import Tensor

from uda_toolbox.adaptors.base import BaseAdaptor, Batch
from uda_toolbox.models.losses import entropy_loss
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class MinEnt(BaseAdaptor):
    """Cross-entropy on source frames plus lambda_ent * the mean normalised entropy of the
    target predictions (the sum over classes of ADVENT's self-information map).

    A single-optimizer method: it trains with the ordinary schedule. Multi-level when the
    segmentor has an ``auxiliary_head``, with ADVENT's aux weights.

    Args:
        lambda_ent: Weight of the main level's entropy term (0.001, ADVENT).
        lambda_ent_aux: Weight of the auxiliary level's entropy term (0.0002, ADVENT).
        lambda_seg_aux: Weight of the auxiliary level's cross-entropy (0.1, ADVENT).
    """

    def __init__(self, segmentor: dict, lambda_ent: float = 0.001, lambda_ent_aux: float = 0.0002,
                 lambda_seg_aux: float = 0.1, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.lambda_ent = dict(main=lambda_ent, aux=lambda_ent_aux)
        self.lambda_seg_aux = lambda_seg_aux

    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        losses = {}
        for level, suffix, _, tgt in self.per_level(source, target, losses, self.lambda_seg_aux):
            tgt_prob = tgt.softmax(dim=2).flatten(0, 1)  # (N*T, C, H, W)
            losses[f'loss_ent{suffix}'] = self.lambda_ent[level] * entropy_loss(tgt_prob)
        return losses
