# DACS on VIPER -> Cityscapes-VPS with the toolbox's DeepLabv2 / ResNet-50 (DACS uses DeepLabv2 /
# ResNet-101) and its SGD schedule (lr 2.5e-4, momentum 0.9, weight decay 5e-4, poly 0.9: DACS's
# optimiser; 40k iterations of one clip pair instead of DACS's 250k of two images).
# docs/methods/dacs.md
description = 'DACS: ClassMix self-training against an EMA teacher (alpha 0.99)'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_crop512.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
model = dict(
    type='DACS',
    ema_alpha=0.99,
    pseudo_label_filters=[dict(type='ConfidenceWeight', threshold=0.968)],
    strong_augmentation=dict(jitter_strength=0.2, jitter_probability=0.8, blur_probability=0.5),
    class_pool='image',
    # mic: off here; configs/mic/ switches Masked Image Consistency on.
)
