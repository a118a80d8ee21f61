# Tiny DeepLabv2-style model for the embedded 64x128 pair: a small dilated ConvNet
# (output stride 4) and the DeepLabv2 ASPP classifier with dilations scaled to the
# 16x32 feature map. The real-data counterpart is deeplabv2_r50.py.
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='ClipSegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
segmentor = dict(
    type='EncoderDecoder',
    backbone=dict(
        type='TinyConvNet',
        widths=(32, 32, 48, 48, 64, 64, 64),
        strides=(2, 1, 2, 1, 1, 1, 1),
        dilations=(1, 1, 1, 1, 1, 2, 4),
        out_indices=(3, 6),
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='DeepLabV2Head',
        in_channels=64,
        in_index=1,
        dilations=(1, 2, 4, 6),
        num_classes=15,
        align_corners=False,
        # The segmentation loss of every adaptor (BaseAdaptor.seg_loss): Shin et al. (2021)
        # Eq. 3's cross-entropy over the labelled pixels (avg_non_ignore=True is required).
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# Multi-level AdaptSegNet / ADVENT (configs/*/*_multi_level.py): a second DeepLabv2 classifier on
# the earlier backbone output (TinyConvNet layer 3, 48 channels), as ResNet's stage 3 in the real setting.
auxiliary_head = dict(
    type='DeepLabV2Head',
    in_channels=48,
    in_index=0,
    dilations=(1, 2, 4, 6),
    num_classes=15,
    align_corners=False,
    # This level's cross-entropy (BaseAdaptor.seg_loss level='aux'), weighted by lambda_seg_aux.
    loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                     avg_non_ignore=True))
model = dict(type='SourceOnly', segmentor=segmentor, data_preprocessor=data_preprocessor)
