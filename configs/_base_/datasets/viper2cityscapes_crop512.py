# VIPER -> Cityscapes-VPS with random 512 x 512 crops of the resized frames, as DACS (both domains)
# and DAFormer (official uda_gta_to_cityscapes_512x512.py) train: source frames resized to
# 1280 x 720 and cropped with mmseg's cat_max_ratio 0.75, target frames resized to 1024 x 512 and
# cropped, then flipped. ClassMix pastes source pixels onto the target frame, so both must have one
# size. Validation is unchanged (whole 1024 x 512 frames, as every other method).
_base_ = ['./viper2cityscapes.py']
crop_size = (512, 512)
source_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale={{_base_.source_scale}}, keep_ratio=True),
    dict(type='ClipRandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale={{_base_.target_scale}}, keep_ratio=True),
    dict(type='ClipRandomCrop', crop_size=crop_size),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(source=dict(pipeline=source_pipeline), target=dict(pipeline=target_pipeline)))
