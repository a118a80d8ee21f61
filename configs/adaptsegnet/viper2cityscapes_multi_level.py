# Multi-level AdaptSegNet on VIPER -> Cityscapes-VPS: an auxiliary DeepLabv2 classifier on
# ResNet stage 3 (the model base's `auxiliary_head`: 1024 channels, backbone output 0) with its
# own discriminator. Weights of AdaptSegNet's multi-level model.
description = 'AdaptSegNet, multi-level: plus an auxiliary classifier with its own discriminator'
_base_ = ['./viper2cityscapes.py']
model = dict(
    segmentor=dict(auxiliary_head={{_base_.auxiliary_head}}),
    lambda_adv=0.001,  # main level
    lambda_adv_aux=0.0002,  # auxiliary level
    lambda_seg_aux=0.1)
