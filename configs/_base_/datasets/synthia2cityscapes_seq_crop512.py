# SYNTHIA-Seq -> Cityscapes-Seq with random 512 x 512 crops (DACS, DAFormer), as
# viper2cityscapes_seq_crop512.py: the SYNTHIA-Seq frames at their native 1280x760, cut to 1280x640
# (the bottom 120 rows go, as the benchmark), then cropped with cat_max_ratio 0.75 and flipped;
# the Cityscapes-Seq frames resized to 1024x512, cropped and flipped.
_base_ = ['./synthia2cityscapes_seq.py']
crop_size = (512, 512)
synthia_source_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1280, 760), keep_ratio=False, interpolation='pil_bicubic'),
    dict(type='ClipCropMargins', bottom=120),
    dict(type='ClipRandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=False, interpolation='pil_bicubic'),
    dict(type='ClipRandomCrop', crop_size=crop_size),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(source=dict(pipeline=synthia_source_pipeline), target=dict(pipeline=target_pipeline)))
