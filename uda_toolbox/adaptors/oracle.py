"""Oracle: supervised training on target labels, the upper bound of Shin et al. (2021) Table 1."""
from typing import Dict

from torch import Tensor

from uda_toolbox.adaptors.base import BaseAdaptor, Batch
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class Oracle(BaseAdaptor):
    """Cross-entropy on the annotated target frames (unannotated frames are all ignore).

    Configs pair it with ``labelled_only=True`` on the target dataset so that every clip
    carries a labelled frame. The source batch is not used.
    """

    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        return dict(loss_seg_tgt=self.seg_loss(self.segment(target['inputs']), target['gt_seg']))
