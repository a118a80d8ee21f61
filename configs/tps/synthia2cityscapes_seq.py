# TPS (Xing et al., ECCV 2022) on SYNTHIA-Seq -> Cityscapes-Seq, its own benchmark, with the multi-level
# DeepLabv2 / ResNet-50 in the two-frame flow-fusion segmentor (TPS: ResNet-101, set
# model.segmentor.segmentor.backbone.depth=101). Recipe of tps/scripts/configs/tps_syn2city.yml
# (LR 2.5e-4, lambda_T 1.0, as the paper states) and train_video_UDA.py; data of their
# code (synthia2cityscapes_seq_two_frame.py: flow t -> t-1, target snippets (t-2, t-1, t), val items
# with t-1). docs/methods/tps.md. The benchmark: configs/benchmarks/synthia2cityscapes_seq.py
# (published 53.8, best on val).
_base_ = [
    '../_base_/models/two_frame_deeplabv2_r50_synthia_seq.py',
    '../_base_/datasets/synthia2cityscapes_seq_two_frame.py',
    '../_base_/schedules/viper2cityscapes_two_frame.py', '../_base_/default_runtime.py'
]
description = 'TPS on SYNTHIA-Seq -> Cityscapes-Seq: cross-frame pseudo labels on strongly augmented target clips'
model = dict(
    type='TPS',
    segmentor=dict(warp='bilinear'),  # TPS's Resample2d
    lambda_target=1.0,  # LAMBDA_T of tps_syn2city.yml
    lambda_seg_aux=0.1,  # LAMBDA_SEG_AUX, also on the target term
    threshold=None,  # tau = 0 (THRESHOLD is unused by the code)
    label_warp='bilinear',
    histogram_matching=True,
    strong_aug_input='original',  # docs/methods/tps.md, "Quirks"
    weak_flip='original',  # docs/methods/tps.md, "Quirks"
    blur_radii=(5, 7, 9),
    jitter=(0.8, 0.8, 0.8, 0.2),
    scale_range=(0.8, 1.2))  # SCALING_RATIO
optim_wrapper = dict(optimizer=dict(lr=2.5e-4))  # LEARNING_RATE of tps_syn2city.yml
max_iters = 40000  # EARLY_STOP
train_cfg = dict(max_iters=max_iters, val_interval=4000)
