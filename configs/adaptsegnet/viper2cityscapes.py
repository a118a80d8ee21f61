# AdaptSegNet (single level) on VIPER -> Cityscapes-VPS (Shin et al. (2021) Table 1), DeepLabv2 / ResNet-50.
description = 'AdaptSegNet, single level: output-space discriminator on softmax maps'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes.py',
    '../_base_/schedules/viper2cityscapes_adversarial.py', '../_base_/default_runtime.py'
]
model = dict(
    type='AdaptSegNet',
    discriminator=dict(type='FCDiscriminator', widths=(64, 128, 256, 512)),  # AdaptSegNet
    lambda_adv=0.001,  # AdaptSegNet, single level
    gan_type='vanilla')
