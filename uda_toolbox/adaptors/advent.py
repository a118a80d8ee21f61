"""ADVENT (Vu et al., CVPR 2019): adversarial entropy minimisation (AdvEnt; Shin et al. (2021) Table 1)."""
from typing import Dict, Optional, Tuple

from torch import Tensor

from uda_toolbox.adaptors.adversarial import AdversarialAdaptor, per_level_discriminators
from uda_toolbox.adaptors.base import Batch
from uda_toolbox.models.losses import entropy_loss, self_information_map
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class ADVENT(AdversarialAdaptor):
    """Cross-entropy on source frames plus an image discriminator on weighted
    self-information maps -p * log2(p + 1e-30) / log2(C).

    As AdaptSegNet (Shin et al. (2021) Eq. 1-2) with the discriminator's input replaced by the
    C-channel self-information map, so aligning source and target pushes target
    predictions towards the low entropy of source ones. Step mechanics:
    :class:`AdversarialAdaptor`.

    Options: ``lambda_ent > 0`` adds ADVENT's direct entropy minimisation (MinEnt) on
    target frames to the adversarial objective (the standalone MinEnt method, without a
    discriminator, is :class:`MinEnt`). Multi-level when the segmentor has an
    ``auxiliary_head``, with ADVENT's aux weights.

    Args:
        segmentor: Config of the mmseg segmentor (with ``auxiliary_head`` for multi-level).
        discriminator: Config of each level's discriminator (``FCDiscriminator``).
        lambda_adv: Weight of the main level's adversarial term (0.001, ADVENT).
        lambda_adv_aux: Weight of the auxiliary level's adversarial term (0.0002).
        lambda_seg_aux: Weight of the auxiliary level's cross-entropy (0.1).
        lambda_ent: Weight of the target entropy term on the main level (0: AdvEnt alone).
        lambda_ent_aux: Weight of the target entropy term on the auxiliary level.
        gan_type: ``'vanilla'`` (the paper) or ``'lsgan'``.
    """

    def __init__(self, segmentor: dict, discriminator: dict = dict(type='FCDiscriminator'),
                 lambda_adv: float = 0.001, lambda_adv_aux: float = 0.0002,
                 lambda_seg_aux: float = 0.1, lambda_ent: float = 0.0, lambda_ent_aux: float = 0.0,
                 gan_type: str = 'vanilla', data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(segmentor, per_level_discriminators(segmentor, discriminator),
                         gan_type=gan_type,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.lambda_adv = dict(main=lambda_adv, aux=lambda_adv_aux)
        self.lambda_seg_aux = lambda_seg_aux
        self.lambda_ent = dict(main=lambda_ent, aux=lambda_ent_aux)

    def segmentor_losses(self, source: Batch, target: Batch
                         ) -> Tuple[Dict[str, Tensor], Dict[str, Tuple[Tensor, Tensor]]]:
        losses, disc_inputs = {}, {}
        for level, suffix, src, tgt in self.per_level(source, target, losses, self.lambda_seg_aux):
            # Every frame is an image: (N*T, C, H, W) probabilities.
            src_prob = src.softmax(dim=2).flatten(0, 1)
            tgt_prob = tgt.softmax(dim=2).flatten(0, 1)
            src_info, tgt_info = self_information_map(src_prob), self_information_map(tgt_prob)
            losses[f'loss_adv{suffix}'] = self.lambda_adv[level] * self.fool_discriminator(
                level, tgt_info)
            if self.lambda_ent[level] > 0:
                losses[f'loss_ent{suffix}'] = self.lambda_ent[level] * entropy_loss(tgt_prob)
            disc_inputs[level] = (src_info, tgt_info)
        return losses, disc_inputs
