# VIPER -> Cityscapes-Seq with random 512 x 512 crops of the resized frames, as DACS (both domains)
# and DAFormer (official uda_gta_to_cityscapes_512x512.py) train; viper2cityscapes_crop512.py
# for this benchmark. The benchmark's resizes are kept (VIPER 1920x1080 -> 1280x720, Cityscapes
# 2048x1024 -> 1024x512, PIL bicubic), then source crops with mmseg's cat_max_ratio 0.75, target
# crops, and flips (DACS / DAFormer's RandomFlip 0.5; the benchmark's other configs have none).
# ClassMix pastes source pixels onto the target frame, so both must have one size. Validation is
# unchanged (whole 1024 x 512 frames).
_base_ = ['./viper2cityscapes_seq.py']
crop_size = (512, 512)
source_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1280, 720), keep_ratio=False, interpolation='pil_bicubic'),
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
    dataset=dict(source=dict(pipeline=source_pipeline), target=dict(pipeline=target_pipeline)))
