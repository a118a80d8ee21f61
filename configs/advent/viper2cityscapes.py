# ADVENT (AdvEnt) on VIPER -> Cityscapes-VPS (Shin et al. (2021) Table 1), DeepLabv2 / ResNet-50.
description = 'ADVENT (AdvEnt): discriminator on weighted self-information maps'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes.py',
    '../_base_/schedules/viper2cityscapes_adversarial.py', '../_base_/default_runtime.py'
]
model = dict(
    type='ADVENT',
    discriminator=dict(type='FCDiscriminator', widths=(64, 128, 256, 512)),  # ADVENT
    lambda_adv=0.001,  # ADVENT
    lambda_ent=0.0,
    gan_type='vanilla')
