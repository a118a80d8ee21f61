# Multi-level AdaptSegNet on the embedded pair: an auxiliary classifier on the earlier
# backbone output (TinyConvNet layer 3, 48 channels; ResNet's stage 3 in the real setting)
# with its own discriminator. Weights of AdaptSegNet's multi-level model.
description = 'AdaptSegNet, multi-level: plus an auxiliary classifier with its own discriminator'
_base_ = ['./synthetic.py']
model = dict(
    segmentor=dict(
        auxiliary_head=dict(
            type='DeepLabV2Head',
            in_channels=48,
            in_index=0,
            dilations=(1, 2, 4, 6),
            num_classes=15,
            align_corners=False,
            # This level's cross-entropy (BaseAdaptor.seg_loss), weighted by lambda_seg_aux.
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                             avg_non_ignore=True))),
    lambda_adv=0.001,  # main level
    lambda_adv_aux=0.0002,  # auxiliary level
    lambda_seg_aux=0.1)
