# VAT (Shin et al. (2021) Sec. 4.3, Eq. 9) on VIPER -> Cityscapes-VPS, DeepLabv2 / ResNet-50: the first
# phase of Shin et al. (2021) (Table 3 "Ours"; VST starts from its checkpoint).
description = 'VAT (Table 3 Ours): sequence discriminator + tube Dice'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes.py',
    '../_base_/schedules/viper2cityscapes_adversarial.py', '../_base_/default_runtime.py'
]
model = dict(
    type='VAT',
    # The image discriminator's widths (AdaptSegNet/ADVENT), first layer 3D with temporal
    # stride 2 (Shin et al. (2021) Sec. 5.1; defaults temporal_kernel=2, temporal_stride=2).
    discriminator=dict(type='SequenceDiscriminator', widths=(64, 128, 256, 512)),
    lambda_adv=0.001,  # lambda_V: not given by Shin et al. (2021); AdaptSegNet/ADVENT's weight
    lambda_tube=1.0,  # Eq. 9 adds the tube loss unweighted
    dice='tube',
    dice_smooth=0.0,  # Eq. 7 (no smoothing); 1.0 is the common smoothing (an option)
    gan_type='vanilla')
