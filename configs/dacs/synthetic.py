# DACS (Tranheden et al., WACV 2021) on the embedded pair: source cross-entropy plus ClassMix
# self-training against an EMA teacher, on the tiny DeepLabv2 as DACS uses DeepLabv2, trained
# from scratch with the source-only schedule. docs/methods/dacs.md
description = 'DACS: ClassMix self-training against an EMA teacher (alpha 0.99)'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/synthetic.py', '../_base_/default_runtime.py'
]
model = dict(
    type='DACS',
    ema_alpha=0.99,  # DACS; DAFormer's dacs.py
    # Every target pixel labelled by the teacher, weighted by q = share with confidence >= 0.968.
    pseudo_label_filters=[dict(type='ConfidenceWeight', threshold=0.968)],
    # Colour jitter s = 0.2 applied with probability 0.8, Gaussian blur with 0.5 (DACS code).
    strong_augmentation=dict(jitter_strength=0.2, jitter_probability=0.8, blur_probability=0.5),
    class_pool='image',  # half the classes of each source image (DACS)
    # mic: off here; configs/mic/ switches Masked Image Consistency on.
)
