"""AdaptSegNet (Tsai et al., CVPR 2018): output-space adversarial learning (Shin et al. (2021) Eq.
1-2, Table 1)."""
from typing import Dict, Optional, Tuple

from torch import Tensor

from uda_toolbox.adaptors.adversarial import AdversarialAdaptor, per_level_discriminators
from uda_toolbox.adaptors.base import Batch
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class AdaptSegNet(AdversarialAdaptor):
    """Cross-entropy on source frames plus an image discriminator on softmax maps.

    Eq. 2: L = L_seg(P_s, y_s) + lambda_adv * L_adv(P_t), where the adversarial term asks
    the (frozen) discriminator to take target softmax maps for source ones; the
    discriminator then learns to tell source maps from target maps (Eq. 1). Every frame
    of a clip is an image here. Step mechanics: :class:`AdversarialAdaptor`.

    Multi-level (AdaptSegNet Sec. 3.3): when the segmentor has an ``auxiliary_head`` (a
    classifier on an earlier backbone stage), that level adds lambda_seg_aux * its
    cross-entropy and lambda_adv_aux * its own discriminator's adversarial term.

    Args:
        segmentor: Config of the mmseg segmentor (with ``auxiliary_head`` for multi-level).
        discriminator: Config of each level's discriminator (``FCDiscriminator``).
        lambda_adv: Weight of the main level's adversarial term (0.001, AdaptSegNet).
        lambda_adv_aux: Weight of the auxiliary level's adversarial term (0.0002).
        lambda_seg_aux: Weight of the auxiliary level's cross-entropy (0.1).
        gan_type: ``'vanilla'`` (the paper) or ``'lsgan'``.
    """

    def __init__(self, segmentor: dict, discriminator: dict = dict(type='FCDiscriminator'),
                 lambda_adv: float = 0.001, lambda_adv_aux: float = 0.0002,
                 lambda_seg_aux: float = 0.1, gan_type: str = 'vanilla',
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(segmentor, per_level_discriminators(segmentor, discriminator),
                         gan_type=gan_type,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.lambda_adv = dict(main=lambda_adv, aux=lambda_adv_aux)
        self.lambda_seg_aux = lambda_seg_aux

    def segmentor_losses(self, source: Batch, target: Batch
                         ) -> Tuple[Dict[str, Tensor], Dict[str, Tuple[Tensor, Tensor]]]:
        losses, disc_inputs = {}, {}
        for level, suffix, src, tgt in self.per_level(source, target, losses, self.lambda_seg_aux):
            # The discriminator sees softmax maps, one frame at a time: (N*T, C, H, W).
            src_prob = src.softmax(dim=2).flatten(0, 1)
            tgt_prob = tgt.softmax(dim=2).flatten(0, 1)
            losses[f'loss_adv{suffix}'] = self.lambda_adv[level] * self.fool_discriminator(
                level, tgt_prob)
            disc_inputs[level] = (src_prob, tgt_prob)
        return losses, disc_inputs
