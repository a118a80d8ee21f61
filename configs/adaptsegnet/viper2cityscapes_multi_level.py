# Multi-level AdaptSegNet on VIPER -> Cityscapes-VPS: an auxiliary DeepLabv2 classifier on
# ResNet stage 3 (1024 channels, backbone output 0) with its own discriminator.
# Weights of AdaptSegNet's multi-level model.
description = 'AdaptSegNet, multi-level: plus an auxiliary classifier with its own discriminator'
_base_ = ['./viper2cityscapes.py']
model = dict(
    segmentor=dict(
        auxiliary_head=dict(
            type='DeepLabV2Head',
            in_channels=1024,
            in_index=0,
            dilations=(6, 12, 18, 24),
            num_classes=15,
            align_corners=False,
            # This level's cross-entropy (BaseAdaptor.seg_loss), weighted by lambda_seg_aux.
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                             avg_non_ignore=True))),
    lambda_adv=0.001,  # main level
    lambda_adv_aux=0.0002,  # auxiliary level
    lambda_seg_aux=0.1)
