# SegFormer-B5 (Xie et al., NeurIPS 2021): the MiT-B5 encoder with mmsegmentation 1.x's all-MLP
# SegformerHead (768 channels, the paper's decoder width for B5; DAFormer's "SegFormer" baseline).
# Every adaptor runs on it by swapping this file for deeplabv2_r50.py in its config's _base_.
_base_ = ['./daformer_mit_b5.py']
segmentor = dict(
    decode_head=dict(
        _delete_=True,
        type='SegformerHead',
        in_channels=[64, 128, 320, 512],
        in_index=[0, 1, 2, 3],
        channels=768,
        dropout_ratio=0.1,
        num_classes=15,
        norm_cfg={{_base_.norm_cfg}},
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)))
model = dict(segmentor=segmentor)
