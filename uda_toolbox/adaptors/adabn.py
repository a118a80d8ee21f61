"""AdaBN (Li et al., 2016/2018): re-estimate BatchNorm statistics on the target domain."""
from typing import Dict, Union

import torch
from mmengine.dist import all_reduce, is_distributed
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor
from torch.nn import SyncBatchNorm
from torch.nn.modules.batchnorm import _BatchNorm

from uda_toolbox.adaptors.base import BaseAdaptor, Batch
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class AdaBN(BaseAdaptor):
    """Keeps the weights of a trained model and replaces every BatchNorm layer's running
    mean and variance by the statistics of target frames.

    No gradient step: each iteration forwards one target batch in train mode under
    ``no_grad``. BatchNorm momentum is ``None``, so after n batches the running statistics
    are the cumulative average of the n batch statistics (AdaBN's target-domain estimate).
    They are reset at the first iteration (a persistent ``bn_restarted`` flag survives
    checkpoints, so ``--resume`` keeps averaging instead of starting over).

    Under DDP every process forwards its own batches; after each iteration the running
    statistics are averaged over the processes (SyncBN layers already agree), which is the
    cumulative average over every process's batches, as if one process had seen them all.

    Start it from a trained model: ``load_from`` in the config (``configs/adabn/``), or the
    benchmark's ``depends='Source-only'``. ``SourceOnly(target_bn=True)`` is a different
    thing: it forwards target batches during source training, with the usual momentum.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for module in self.segmentor.modules():
            if isinstance(module, _BatchNorm):
                module.momentum = None  # cumulative moving average
        self.register_buffer('bn_restarted', torch.tensor(False))

    def train_step(self, data: dict, optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, Tensor]:
        """Accumulate the BatchNorm statistics of one target batch; no parameter changes."""
        data = self.data_preprocessor(data, True)
        batch_norms = [m for m in self.segmentor.modules() if isinstance(m, _BatchNorm)]
        if not batch_norms:
            raise ValueError('AdaBN: the segmentor has no BatchNorm layer to adapt')
        if not bool(self.bn_restarted):
            for module in batch_norms:
                module.reset_running_stats()
            self.bn_restarted.fill_(True)
        with torch.no_grad():
            self.loss(data['source'], data['target'])
            if is_distributed():
                for module in batch_norms:
                    if not isinstance(module, SyncBatchNorm):
                        all_reduce(module.running_mean, op='mean')
                        all_reduce(module.running_var, op='mean')
        return dict(bn_batches=batch_norms[0].num_batches_tracked.float())

    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        """Forward the target frames (train-mode BatchNorm updates its statistics); no loss."""
        self.segment(target['inputs'])
        return {}
