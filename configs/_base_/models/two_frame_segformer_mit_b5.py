# The two-frame flow-fusion segmentor of DA-VSN and TPS (two_frame_deeplabv2_r50.py) around the
# multi-level SegFormer-B5: DA-VSN / TPS on MiT by naming this file as the model _base_.
_base_ = ['./segformer_mit_b5_multi_level.py']
model = dict(
    segmentor=dict(
        _delete_=True,
        type='TwoFrameSegmentor',
        segmentor={{_base_.segmentor}},
        warp='bilinear',  # TPS's Resample2d; DA-VSN's configs set 'splat'
        flow_scaling='height',  # both components x the height ratio, as the originals
        bn_mode='batch_stats'))  # the originals train with batch statistics (model.train())
