# The two-frame flow-fusion segmentor of DA-VSN and TPS ("ACCEL-style", docs/methods/tps.md)
# around the multi-level tiny DeepLabv2-style model: frame t with gradients, t-1 without, the
# t-1 scores warped to t by the t -> t-1 flow and fused by a 1x1 convolution started at [I | 0].
# Another backbone: replace the _base_ (e.g. two_frame_deeplabv2_r50.py).
_base_ = ['./tiny_deeplabv2_multi_level.py']
model = dict(
    segmentor=dict(
        _delete_=True,
        type='TwoFrameSegmentor',
        segmentor={{_base_.segmentor}},
        warp='bilinear',  # TPS's Resample2d; DA-VSN's configs set 'splat'
        flow_scaling='height',  # both components x the height ratio, as the originals
        bn_mode='batch_stats'))  # the originals train with batch statistics (model.train())
