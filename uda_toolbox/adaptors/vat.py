"""VAT: video adversarial training, the first phase of Shin et al. (2021) (Sec. 4.3, Eq. 6-9)."""
from typing import Dict, Optional, Tuple

from torch import Tensor

from uda_toolbox.adaptors.adversarial import AdversarialAdaptor
from uda_toolbox.adaptors.base import Batch
from uda_toolbox.models.losses import frame_dice_loss, tube_dice_loss
from uda_toolbox.registry import MODELS

DICE_MODES = ('tube', 'frame', None)


@MODELS.register_module()
class VAT(AdversarialAdaptor):
    """Per-frame cross-entropy and tube matching on source clips, sequence adversarial
    alignment of source and target clips of frames (t - tau, t).

    Eq. 9: L = sum_{l = t, t-tau} L_seg(P_S,l, y_S,l) + lambda_tube * L_tube(U~_S, U_S)
    + lambda_V * L_adv,V, where L_tube is the class-wise Dice on the two-frame tube (Eq. 6-7)
    and the sequence discriminator D_V scores the stacked softmax maps [P_t, P_t-tau]
    (Eq. 8). Step mechanics: :class:`AdversarialAdaptor`.

    The Shin et al. (2021)'s Table 3 variants are switches: ``discriminator=dict(type='FCDiscriminator')``
    scores every frame alone (models 2 and 4), ``dice='frame'`` is the single-frame Dice
    (model 3), ``dice=None`` drops it (model 2).

    Args:
        segmentor: Config of the mmseg segmentor.
        discriminator: ``SequenceDiscriminator`` (VAT) or ``FCDiscriminator`` (image level).
        lambda_adv: lambda_V of Eq. 9. Shin et al. (2021) does not give it; 0.001, the
            adversarial weight of AdaptSegNet / ADVENT (single level), is our default.
        lambda_tube: Weight of the Dice term (1, as Eq. 9 writes it).
        dice: ``'tube'`` (Eq. 6), ``'frame'`` (Table 3 model 3) or None.
        dice_smooth: Additive smoothing of the Dice ratio: 0 (default) is Eq. 7; a clip
            without labelled pixels is left out instead of giving 0 / 0 (``tube_dice_loss``).
            1.0 is the smoothing of common Dice implementations (not in the paper).
        gan_type: ``'vanilla'`` (Eq. 8) or ``'lsgan'``.
    """

    def __init__(self, segmentor: dict, discriminator: dict = dict(type='SequenceDiscriminator'),
                 lambda_adv: float = 0.001, lambda_tube: float = 1.0, dice: Optional[str] = 'tube',
                 dice_smooth: float = 0.0, gan_type: str = 'vanilla',
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        if dice not in DICE_MODES:
            raise ValueError(f'model.dice must be one of {DICE_MODES}, got {dice!r}')
        super().__init__(segmentor, dict(main=discriminator), gan_type=gan_type,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.lambda_adv = lambda_adv
        self.lambda_tube = lambda_tube
        self.dice = dice
        self.dice_smooth = dice_smooth

    def segmentor_losses(self, source: Batch, target: Batch
                         ) -> Tuple[Dict[str, Tensor], Dict[str, Tuple[Tensor, Tensor]]]:
        source_logits = self.segment(source['inputs'])  # (N, T, C, H, W), frames (t - tau, t)
        target_logits = self.segment(target['inputs'])
        labels = source['gt_seg']
        # Eq. 9, first term: cross-entropy of each frame, summed over the frames.
        losses = dict(loss_seg_src=self.seg_loss(source_logits, labels, 'sum'))
        source_prob = source_logits.softmax(dim=2)
        if self.dice == 'tube':
            losses['loss_tube'] = self.lambda_tube * tube_dice_loss(
                source_prob, labels, self.ignore_index, self.dice_smooth)
        elif self.dice == 'frame':
            losses['loss_dice'] = self.lambda_tube * frame_dice_loss(
                source_prob, labels, self.ignore_index, self.dice_smooth)
        source_maps = self.discriminator_input(source_prob)
        target_maps = self.discriminator_input(target_logits.softmax(dim=2))
        losses['loss_adv'] = self.lambda_adv * self.fool_discriminator('main', target_maps)
        return losses, dict(main=(source_maps, target_maps))

    def discriminator_input(self, probs: Tensor) -> Tensor:
        """(N, T, C, H, W) softmax maps in time order -> the discriminator's input.

        Sequence discriminator: U = [P_t, P_t-tau] stacked on a time axis, (N, C, T, H, W)
        (Eq. 6 and 8 order the frames from t backwards). Image discriminator: every frame
        alone, (N*T, C, H, W).
        """
        if self.discriminator['main'].takes_clips:
            return probs.flip(1).transpose(1, 2)
        return probs.flatten(0, 1)
