# DAFormer (Hoyer et al., CVPR 2022) on the embedded pair: the tiny MiT + DAFormer decoder,
# DACS self-training with EMA alpha 0.999, rare-class sampling of the source clips, AdamW with
# the decoder at 10x the learning rate and a linear warm-up. docs/methods/daformer.md
# The ImageNet feature distance is off here: the tiny model has no ImageNet weights to keep
# close to (it trains from scratch); the real-data config has it on.
# Before the first run: python tools/data/class_frequencies.py configs/daformer/synthetic.py
description = 'DAFormer: tiny MiT + DAFormer head, ClassMix self-training, rare-class sampling, warm-up'
_base_ = [
    '../_base_/models/tiny_daformer.py', '../_base_/datasets/synthetic_daformer.py',
    '../_base_/schedules/synthetic_daformer.py', '../_base_/default_runtime.py'
]
model = dict(
    type='DAFormer',
    # DAFormer uses 0.999 (the real config) over 40k iterations from ImageNet weights. With the
    # warm-up rule a_k = min(1 - 1/(k + 1), alpha) the teacher is the plain mean of every student
    # so far until k = 1/(1 - alpha): with 0.999 that is the whole 400-iteration run here, random
    # initial weights included, and the teacher's confident share q stayed below 0.1 to the end
    # (a label-free measure). 0.99 (DACS, DAFormer's dacs.py) lets it follow the student.
    ema_alpha=0.99,
    pseudo_label_filters=[dict(type='ConfidenceWeight', threshold=0.968)],
    strong_augmentation=dict(jitter_strength=0.2, jitter_probability=0.8, blur_probability=0.5),
    class_pool='image',
    feature_distance=None,
    # mic: off here; configs/mic/ switches Masked Image Consistency on.
)
