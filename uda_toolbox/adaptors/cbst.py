"""CBST (Zou et al., ECCV 2018): self-training on class-balanced pseudo labels (Shin et al. (2021)
Eq. 5, Table 1)."""
from uda_toolbox.adaptors.self_training import SelfTrainingAdaptor
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class CBST(SelfTrainingAdaptor):
    """Class-balanced self-training: cross-entropy on source labels and on target pseudo labels.

    Shin et al. (2021) Eq. 5 without regulariser: L = lambda_seg_s * L_seg(P_s, y_s) +
    lambda_seg_t * L_seg(P_t, y_t^). The labels come from the config's
    ``pseudo_labels = dict(policy=dict(type='ClassBalancedPolicy', ...))``: per class, the
    confidence at the top-p portion of the pixels predicted as that class over the whole target
    set, p = 0.2 + 0.05 per round up to 0.5 (docs/methods/cbst.md). Every frame of a clip is an
    image here.

    Args:
        segmentor: Config of the mmseg segmentor.
        lambda_seg_s: Weight of the source cross-entropy (1.0: CBST trains on both domains).
        lambda_seg_t: Weight of the pseudo-label cross-entropy (1.0).
        lambda_reg: Unused by CBST (kept 0).
        data_preprocessor, init_cfg: As :class:`BaseAdaptor`.
    """
