# Source-only on VIPER -> Cityscapes-VPS (Shin et al. (2021) Table 1), DeepLabv2 / ResNet-50.
description = 'Source-only: cross-entropy on source clips'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
model = dict(type='SourceOnly')
