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
        self.lambda_seg = dict(main=1.0, aux=lambda_seg_aux)

    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        source_logits = self.segment_levels(source['inputs'])
        target_logits = self.segment_levels(target['inputs'])
        losses = {}
        for level, src in source_logits.items():
            suffix = '' if level == 'main' else f'_{level}'
            losses[f'loss_seg_src{suffix}'] = self.lambda_seg[level] * self.seg_loss(
                src, source['gt_seg'])
            tgt_prob = target_logits[level].softmax(dim=2).flatten(0, 1)  # (N*T, C, H, W)
            losses[f'loss_ent{suffix}'] = self.lambda_ent[level] * entropy_loss(tgt_prob)
        return losses
