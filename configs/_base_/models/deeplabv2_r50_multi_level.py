# DeepLabv2 on ResNet-50 with a second classifier on stage 3 (1024 channels), as the multi-level
# DeepLab-v2 of ADVENT / DA-VSN / TPS ("ResNetMulti"), whose codes also freeze the affine
# parameters of every BatchNorm and upsample scores with align_corners=True. Their backbone is
# ResNet-101: set model.segmentor.backbone.depth=101 (and a ResNet-101 checkpoint) for it.
_base_ = ['./deeplabv2_r50.py']
segmentor = dict(
    backbone=dict(norm_cfg=dict(type='BN', requires_grad=False)),
    decode_head=dict(align_corners=True),
    auxiliary_head=dict(
        type='DeepLabV2Head',
        in_channels=1024,
        in_index=0,
        dilations=(6, 12, 18, 24),
        num_classes=15,
        align_corners=True,
        # Unused by the adaptors, which weight this level's cross-entropy themselves.
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)))
model = dict(segmentor=segmentor)
