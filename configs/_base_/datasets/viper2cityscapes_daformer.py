# VIPER -> Cityscapes-VPS with DAFormer's data recipe (official uda_gta_to_cityscapes_512x512.py and
# the DAFormer config): random 512 x 512 crops of the resized frames (source 1280 x 720 with
# mmseg's cat_max_ratio 0.75, target 1024 x 512), flips, and rare-class sampling of the source
# clips (T = 0.01, a clip needs > 3000 pixels of the class, its crop > 1500, DAFormer's values).
# The class statistics are counted once:
#   python tools/data/class_frequencies.py configs/daformer/viper2cityscapes.py --workers 8
# Validation is unchanged (whole 1024 x 512 frames, as every other method).
_base_ = ['./viper2cityscapes.py']
crop_size = (512, 512)
source_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1280, 720), keep_ratio=True),
    dict(type='ClipRandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=True),
    dict(type='ClipRandomCrop', crop_size=crop_size),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(
        source=dict(pipeline=source_pipeline),
        target=dict(pipeline=target_pipeline),
        rare_class_sampling=dict(
            # Beside the VIPER tree (viper_root); move it with the tree.
            class_stats='data/viper/class_stats.json',
            temperature=0.01,
            min_pixels=3000,
            min_crop_ratio=0.5)))
