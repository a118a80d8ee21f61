# Oracle on VIPER -> Cityscapes-VPS (Shin et al. (2021) Table 1), DeepLabv2 / ResNet-50.
description = 'Oracle: cross-entropy on the annotated target train frames'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
model = dict(type='Oracle')
# The oracle learns from the annotated Cityscapes-VPS train frames.
train_dataloader = dict(dataset=dict(target=dict(with_labels=True, labelled_only=True)))
