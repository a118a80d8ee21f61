# DAFormer's network (Hoyer et al., CVPR 2022, Sec. 3.2; official configs/_base_/models/
# daformer_sepaspp_mitb5.py): the MiT-B5 encoder (mmseg's MixVisionTransformer) and the
# context-aware fusion decoder (DAFormerHead: 256-channel MLP embeddings of the four levels,
# depthwise-separable ASPP with dilations 1/6/12/18 and BN + ReLU, a 3x3 bottleneck, dropout 0.1).
# ImageNet weights: SegFormer's mit_b5.pth converted to mmseg 1.x names with mmsegmentation's
# tools/model_converters/mit2mmseg.py, at a local path (nothing can be downloaded); if the file
# is missing the adaptor warns and starts from random weights, and DAFormer's feature distance,
# which needs it, stops with the fix.
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
        type='MixVisionTransformer',
        in_channels=3,
        embed_dims=64,
        num_stages=4,
        num_layers=[3, 6, 40, 3],
        num_heads=[1, 2, 5, 8],
        patch_sizes=[7, 3, 3, 3],
        sr_ratios=[8, 4, 2, 1],
        out_indices=(0, 1, 2, 3),
        mlp_ratio=4,
        qkv_bias=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1,  # DAFormer's mit_b5
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/mit_b5_imagenet.pth')),
    decode_head=dict(
        type='DAFormerHead',
        in_channels=[64, 128, 320, 512],
        in_index=[0, 1, 2, 3],
        channels=256,
        embed_dims=256,
        fusion_dilations=(1, 6, 12, 18),
        dropout_ratio=0.1,
        num_classes=15,
        norm_cfg=norm_cfg,
        align_corners=False,
        # Adaptors compute their losses themselves; this entry only satisfies mmseg's head.
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# Multi-level AdaptSegNet / ADVENT (configs/*/*_multi_level.py): a DeepLabv2 classifier on MiT's
# stage 3 (320 channels, 1/16 resolution; dilations halved from OS8's 6/12/18/24, our choice).
auxiliary_head = dict(
    type='DeepLabV2Head',
    in_channels=320,
    in_index=2,
    dilations=(3, 6, 9, 12),
    num_classes=15,
    align_corners=False,
    loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                     avg_non_ignore=True))
model = dict(type='SourceOnly', segmentor=segmentor, data_preprocessor=data_preprocessor)
