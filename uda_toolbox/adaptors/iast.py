"""IAST (Mei et al., ECCV 2020): instance-adaptive self-training after an adversarial warm-up."""
from uda_toolbox.adaptors.self_training import IASTRegularizedAdaptor
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class IAST(IASTRegularizedAdaptor):
    """Self-training on instance-adaptive pseudo labels with IAST's regulariser (Shin et al.
    (2021) Eq. 4-5).

    Labels: ``pseudo_labels = dict(policy=dict(type='InstanceAdaptivePolicy', ...), instance=1)``
    (each image an instance, Shin et al. (2021) Sec. 3). Loss: lambda_seg_t * L_seg(P_t, y_t^) +
    lambda_reg * (ent_weight * entropy on the ignored pixels + kld_weight * KLD to uniform on the
    labelled ones), no source term (IAST's SOURCE_LOSS_WEIGHT 0). The warm-up is an adversarial
    model loaded with ``load_from`` (docs/methods/iast.md). Arguments: see
    :class:`~uda_toolbox.adaptors.self_training.IASTRegularizedAdaptor`.
    """
