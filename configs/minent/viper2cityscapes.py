# MinEnt (ADVENT's direct entropy minimisation) on VIPER -> Cityscapes-VPS, DeepLabv2 / ResNet-50.
description = 'MinEnt: entropy minimisation on target frames'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
model = dict(type='MinEnt', lambda_ent=0.001)  # ADVENT
