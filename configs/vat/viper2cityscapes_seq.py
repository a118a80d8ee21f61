# VAT (Shin et al. (2021) Sec. 4.3, Eq. 9), DeepLabv2 / ResNet-50, on VIPER -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/viper2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
# Shin et al. (2021) publishes no result on this benchmark; VST starts from this checkpoint.
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_seq.py',
    '../_base_/schedules/viper2cityscapes_adversarial.py', '../_base_/default_runtime.py'
]
description = 'VAT (Table 3 Ours) on VIPER -> Cityscapes-Seq: sequence discriminator + tube Dice'
model = dict(
    type='VAT',
    # The image discriminator's widths (AdaptSegNet/ADVENT), first layer 3D with temporal
    # stride 2 (Shin et al. (2021) Sec. 5.1; defaults temporal_kernel=2, temporal_stride=2).
    discriminator=dict(type='SequenceDiscriminator', widths=(64, 128, 256, 512)),
    lambda_adv=0.001,  # lambda_V: not given by Shin et al. (2021); AdaptSegNet/ADVENT's weight
    lambda_tube=1.0,  # Eq. 9 adds the tube loss unweighted
    dice='tube',
    dice_smooth=1.0,  # ours (Eq. 7 has none); keeps Dice defined for absent classes
    gan_type='vanilla')
