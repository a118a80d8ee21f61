# Tiny DAFormer for the embedded 64x128 pair: a 4-stage MiT with one block per stage and 16-128
# channels (MiT-B5: 64-512 channels, 3/6/40/3 blocks) and the DAFormer decoder at 32 channels,
# its fusion dilations scaled to the 16x32 level-0 map. Trains from random weights in minutes on
# 2 CPU cores; the real-data counterpart is daformer_mit_b5.py.
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
        embed_dims=16,
        num_stages=4,
        num_layers=[1, 1, 1, 1],
        num_heads=[1, 2, 5, 8],
        patch_sizes=[7, 3, 3, 3],
        sr_ratios=[8, 4, 2, 1],
        out_indices=(0, 1, 2, 3),
        mlp_ratio=4,
        qkv_bias=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1),
    decode_head=dict(
        type='DAFormerHead',
        in_channels=[16, 32, 80, 128],
        in_index=[0, 1, 2, 3],
        channels=32,
        embed_dims=32,
        fusion_dilations=(1, 2, 3, 4),
        dropout_ratio=0.1,
        num_classes=15,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# Multi-level AdaptSegNet / ADVENT: a DeepLabv2 classifier on stage 3 (80 channels, a 4x8 map).
auxiliary_head = dict(
    type='DeepLabV2Head',
    in_channels=80,
    in_index=2,
    dilations=(1, 2, 3, 4),
    num_classes=15,
    align_corners=False,
    loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                     avg_non_ignore=True))
model = dict(type='SourceOnly', segmentor=segmentor, data_preprocessor=data_preprocessor)
