"""Source-only baseline: supervised training on labelled source clips (Shin et al. (2021) Table 1,
first row)."""
from typing import Dict

from torch import Tensor

from uda_toolbox.adaptors.base import BaseAdaptor, Batch
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class SourceOnly(BaseAdaptor):
    """Cross-entropy on every source frame; the target batch is not used.

    Args:
        target_bn: Also forward the target clips in train mode (without a loss), so the
            BatchNorm running statistics follow the target domain (AdaBN, Li et al. 2017).
            Any method that forwards target batches in train mode gets this effect, so it
            is the fair "no adaptation loss" reference for them.
    """

    def __init__(self, *args, target_bn: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.target_bn = target_bn

    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        losses = dict(loss_seg_src=self.seg_loss(self.segment(source['inputs']), source['gt_seg']))
        if self.target_bn:
            self.segment(target['inputs'].detach())
        return losses
