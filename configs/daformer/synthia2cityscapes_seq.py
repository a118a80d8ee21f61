# DAFormer (Hoyer et al., CVPR 2022) on SYNTHIA-Seq -> Cityscapes-Seq, the official recipe of
# configs/daformer/viper2cityscapes.py (gta2cs_uda_warm_fdthings_rcs_croppl_a999_daformer_mitb5_s0.py):
# MiT-B5 + DAFormer decoder, EMA alpha 0.999, thing-class ImageNet feature distance (0.005, 75 %
# block purity), pseudo-label crop of the top 15 / bottom 120 rows, rare-class sampling
# (T = 0.01), 512 x 512 crops, AdamW 6e-5 with a 10x decoder and 1500 warm-up iterations, 40k
# iterations. docs/methods/daformer.md
# Before the first run: python tools/data/class_frequencies.py configs/daformer/synthia2cityscapes_seq.py
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/daformer_mit_b5_synthia_seq.py',
    '../_base_/datasets/synthia2cityscapes_seq_daformer.py',
    '../_base_/schedules/viper2cityscapes_daformer.py', '../_base_/default_runtime.py'
]
description = ('DAFormer on SYNTHIA-Seq -> Cityscapes-Seq: MiT-B5 + DAFormer head, ClassMix, RCS, '
               'thing-class FD')
model = dict(
    type='DAFormer',
    ema_alpha=0.999,
    pseudo_label_filters=[
        dict(type='ConfidenceWeight', threshold=0.968),
        # Rectification artefacts and the ego car's hood of Cityscapes(-Seq) frames at 1024 x 512.
        dict(type='BorderWeight', top=15, bottom=120),
    ],
    strong_augmentation=dict(jitter_strength=0.2, jitter_probability=0.8, blur_probability=0.5),
    class_pool='image',
    feature_distance=dict(
        loss_weight=0.005,
        # The thing classes of the 12 (DAFormer: Cityscapes' traffic light, sign, person, rider,
        # car, truck, bus, train, motorcycle, bicycle): traffic light, traffic sign, person,
        # rider, car.
        classes=[5, 6, 9, 10, 11],
        min_ratio=0.75,
        checkpoint=None),  # None: the backbone's ImageNet file (init_cfg.checkpoint)
    # mic: off here; configs/mic/ switches Masked Image Consistency on.
)
