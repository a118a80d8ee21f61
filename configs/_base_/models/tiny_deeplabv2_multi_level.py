# The tiny DeepLabv2-style model with a second classifier, as the multi-level DeepLab-v2 of
# ADVENT / DA-VSN / TPS ("ResNetMulti": an ASPP head on ResNet stage 3 besides the main one on
# stage 4); here on TinyConvNet's layer 3 (48 channels). align_corners=True in every resize of
# scores, as those codes upsample (nn.Upsample(bilinear, align_corners=True)).
_base_ = ['./tiny_deeplabv2.py']
segmentor = dict(
    decode_head=dict(align_corners=True),
    auxiliary_head=dict(
        type='DeepLabV2Head',
        in_channels=48,
        in_index=0,
        dilations=(1, 2, 4, 6),
        num_classes=15,
        align_corners=True,
        # Unused by the adaptors, which weight this level's cross-entropy themselves.
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)))
model = dict(segmentor=segmentor)
