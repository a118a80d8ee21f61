# DeepLabv2 on ResNet-50, Shin et al. (2021)'s segmentor (Sec. 5.1): dilated ResNet with
# output stride 8 (strides 1,2,1,1 and dilations 1,1,2,4 in the last stages) and the
# DeepLabv2 ASPP classifier (dilations 6/12/18/24). ImageNet weights come from a local
# file (nothing can be downloaded; tools/convert_backbone.py, docs/get_started.md "Backbone
# weights"); a missing file is an error, random weights must be asked for (init_cfg=None).
#
# BatchNorm as in the original DeepLabv2 code of the UDA methods: the affine parameters are
# frozen (requires_grad=False: AdaptSegNet model/deeplab_multi.py, ADVENT model/deeplabv2.py,
# IAST backbone R-DL-101-C1-C5-FREEZEBN, CRST deeplab/model.py) and the layers run in train mode,
# normalising with the batch's statistics and updating the running ones (those codes call
# model.train(); norm_eval=False). CRST's code retrains in model.eval() instead (running
# statistics frozen too): configs/cbst/viper2cityscapes.py sets norm_eval=True for CBST / CRST.
# Trainable BN (the toolbox before issue 16): --cfg-options
# model.segmentor.backbone.norm_cfg.requires_grad=True (docs/deviations.md).
norm_cfg = dict(type='BN', requires_grad=False)
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
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        norm_cfg=norm_cfg,
        norm_eval=False,  # batch statistics in training (the official codes' model.train())
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/resnet50_imagenet.pth')),
    decode_head=dict(
        type='DeepLabV2Head',
        in_channels=2048,
        in_index=1,
        dilations=(6, 12, 18, 24),
        num_classes=15,
        align_corners=False,
        # The segmentation loss of every adaptor (BaseAdaptor.seg_loss): Shin et al. (2021)
        # Eq. 3's cross-entropy over the labelled pixels (avg_non_ignore=True is required).
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# Multi-level AdaptSegNet / ADVENT (configs/*/*_multi_level.py): a second DeepLabv2 classifier on
# ResNet stage 3 (1024 channels, backbone output 0), AdaptSegNet Sec. 3.3.
auxiliary_head = dict(
    type='DeepLabV2Head',
    in_channels=1024,
    in_index=0,
    dilations=(6, 12, 18, 24),
    num_classes=15,
    align_corners=False,
    # This level's cross-entropy (BaseAdaptor.seg_loss level='aux'), weighted by lambda_seg_aux.
    loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                     avg_non_ignore=True))
model = dict(type='SourceOnly', segmentor=segmentor, data_preprocessor=data_preprocessor)
