# Tiny SegFormer for the embedded 64x128 pair: the tiny MiT of tiny_daformer.py with mmseg 1.x's
# all-MLP SegformerHead (64 channels). The MiT counterpart of tiny_deeplabv2.py: every adaptor
# runs on it by swapping that file for this one in its config's _base_ (tests/adaptors/
# test_backbone_swap.py); the real-data counterpart is segformer_mit_b5.py.
_base_ = ['./tiny_daformer.py']
segmentor = dict(
    decode_head=dict(
        _delete_=True,
        type='SegformerHead',
        in_channels=[16, 32, 80, 128],
        in_index=[0, 1, 2, 3],
        channels=64,
        dropout_ratio=0.1,
        num_classes=15,
        norm_cfg={{_base_.norm_cfg}},
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)))
model = dict(segmentor=segmentor)
