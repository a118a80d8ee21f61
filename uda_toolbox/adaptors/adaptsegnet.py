"""AdaptSegNet (Tsai et al., CVPR 2018): output-space adversarial learning (seed Eq. 1-2, Table 1)."""
from typing import Dict, Optional, Tuple

from torch import Tensor

from uda_toolbox.adaptors.base import AdversarialAdaptor, Batch
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
        levels = ('main', 'aux') if segmentor.get('auxiliary_head') else ('main',)
        super().__init__(segmentor, {level: discriminator for level in levels}, gan_type=gan_type,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.lambda_adv = dict(main=lambda_adv, aux=lambda_adv_aux)
        self.lambda_seg = dict(main=1.0, aux=lambda_seg_aux)

    def segmentor_losses(self, source: Batch, target: Batch
                         ) -> Tuple[Dict[str, Tensor], Dict[str, Tuple[Tensor, Tensor]]]:
        source_logits = self.segment_levels(source['inputs'])
        target_logits = self.segment_levels(target['inputs'])
        losses, disc_inputs = {}, {}
        for level, src in source_logits.items():
            suffix = '' if level == 'main' else f'_{level}'
            losses[f'loss_seg_src{suffix}'] = self.lambda_seg[level] * self.seg_loss(
                src, source['gt_seg'])
            # The discriminator sees softmax maps, one frame at a time: (N*T, C, H, W).
            src_prob = src.softmax(dim=2).flatten(0, 1)
            tgt_prob = target_logits[level].softmax(dim=2).flatten(0, 1)
            losses[f'loss_adv{suffix}'] = self.lambda_adv[level] * self.fool_discriminator(
                level, tgt_prob)
            disc_inputs[level] = (src_prob, tgt_prob)
        return losses, disc_inputs
