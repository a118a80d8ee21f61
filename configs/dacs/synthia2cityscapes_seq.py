# DACS (Tranheden et al., WACV 2021) on SYNTHIA-Seq -> Cityscapes-Seq with the toolbox's DeepLabv2 /
# ResNet-50 (DACS uses ResNet-101), 512 x 512 crops (synthia2cityscapes_seq_crop512.py) and the
# benchmark's SGD schedule (lr 2.5e-4, momentum 0.9, weight decay 5e-4, poly 0.9: DACS's optimiser;
# 40k iterations of one sample pair instead of DACS's 250k of two images); the settings of
# configs/dacs/viper2cityscapes.py. docs/methods/dacs.md
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50_synthia_seq.py', '../_base_/datasets/synthia2cityscapes_seq_crop512.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = ('DACS on SYNTHIA-Seq -> Cityscapes-Seq: ClassMix self-training against an EMA teacher '
               '(alpha 0.99)')
model = dict(
    type='DACS',
    ema_alpha=0.99,  # DACS; DAFormer's configs/_base_/uda/dacs.py
    # DACS / DAFormer pseudo_threshold: the weight is the share of pixels with confidence >= 0.968
    pseudo_label_filters=[dict(type='ConfidenceWeight', threshold=0.968)],
    # DACS's colour jitter (s = 0.2, p 0.8) and Gaussian blur (p 0.5); docs/methods/dacs.md
    strong_augmentation=dict(jitter_strength=0.2, jitter_probability=0.8, blur_probability=0.5),
    class_pool='image',  # ClassMix (DACS Sec. 3): half the classes of each source image
    # mic: off here; configs/mic/ switches Masked Image Consistency on.
)
