# The two-frame flow-fusion segmentor of DA-VSN and TPS (two_frame_tiny_deeplabv2.py) around the
# multi-level tiny SegFormer: a DA-VSN / TPS config runs on MiT by naming this file as its model
# _base_ instead of two_frame_tiny_deeplabv2.py (tests/adaptors/test_backbone_swap.py).
_base_ = ['./tiny_mit_multi_level.py']
model = dict(
    segmentor=dict(
        _delete_=True,
        type='TwoFrameSegmentor',
        segmentor={{_base_.segmentor}},
        warp='bilinear',  # TPS's Resample2d; DA-VSN's configs set 'splat'
        flow_scaling='height',  # both components x the height ratio, as the originals
        bn_mode='batch_stats'))  # the originals train with batch statistics (model.train())
