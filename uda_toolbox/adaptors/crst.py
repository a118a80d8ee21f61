"""CRST (Zou et al., ICCV 2019): class-balanced self-training with confidence regularisation."""
from typing import Dict, Optional

from torch import Tensor

from uda_toolbox.adaptors.self_training import SelfTrainingAdaptor
from uda_toolbox.models.losses import lrent_regularizer, mrkld_regularizer
from uda_toolbox.registry import MODELS

REGULARIZERS = dict(mrkld=mrkld_regularizer, lrent=lrent_regularizer)


@MODELS.register_module()
class CRST(SelfTrainingAdaptor):
    """CBST's loss plus a confidence regulariser on the pseudo-labelled target pixels (Shin et al.
    (2021) Eq. 5).

    ``regularizer='mrkld'`` (CRST's MR-KLD, the default and Shin et al. (2021)'s "confident region
    KLD minimisation"): -(1/C) sum_c log p_c, i.e. KL(uniform || p) up to a constant, weight
    0.1 (CRST). ``'lrent'``: the entropy term of CRST's LR-ENT applied to the output on the
    labelled pixels (the toolbox keeps hard labels on disk; see docs/methods/crst.md), weight
    0.25 (CRST). Labels: ``ClassBalancedPolicy`` as CBST.

    Args:
        segmentor: Config of the mmseg segmentor.
        regularizer: ``'mrkld'`` or ``'lrent'``.
        lambda_seg_s, lambda_seg_t: Weights of the source and pseudo-label cross-entropies.
        lambda_reg: Weight of the regulariser (CRST: 0.1 for MR-KLD, 0.25 for LR-ENT).
        data_preprocessor, init_cfg: As :class:`BaseAdaptor`.
    """

    def __init__(self, segmentor: dict, regularizer: str = 'mrkld', lambda_seg_s: float = 1.0,
                 lambda_seg_t: float = 1.0, lambda_reg: float = 0.1,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        if regularizer not in REGULARIZERS:
            raise ValueError(f'CRST: regularizer must be one of {sorted(REGULARIZERS)}, got '
                             f'{regularizer!r} (model.regularizer in the config)')
        super().__init__(segmentor, lambda_seg_s=lambda_seg_s, lambda_seg_t=lambda_seg_t,
                         lambda_reg=lambda_reg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.regularizer_name = regularizer

    def regularizer(self, logits: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        fn = REGULARIZERS[self.regularizer_name]
        return {f'loss_{self.regularizer_name}': fn(logits, labels, self.ignore_index)}
