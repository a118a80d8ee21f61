# The two-frame flow-fusion segmentor of DA-VSN and TPS (docs/methods/tps.md) around the
# multi-level DeepLabv2 / ResNet-50 (the originals use ResNet-101: set
# model.segmentor.segmentor.backbone.depth=101 and its checkpoint path).
_base_ = ['./deeplabv2_r50_multi_level.py']
model = dict(
    segmentor=dict(
        _delete_=True,
        type='TwoFrameSegmentor',
        segmentor={{_base_.segmentor}},
        warp='bilinear',  # TPS's Resample2d; DA-VSN's configs set 'splat'
        flow_scaling='height',  # both components x the height ratio, as the originals
        bn_mode='batch_stats'))  # the originals train with batch statistics (model.train())
