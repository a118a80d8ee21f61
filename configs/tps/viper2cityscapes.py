# TPS (Xing et al., ECCV 2022) on VIPER -> Cityscapes-VPS with the multi-level DeepLabv2 /
# ResNet-50 of the benchmark in the two-frame flow-fusion segmentor (TPS: ResNet-101, set
# model.segmentor.segmentor.backbone.depth=101). Recipe of tps/scripts/configs/tps_viper2city.yml
# (LR 1e-4, lambda_T 0.1: the paper states 2.5e-4 and 1.0, see viper2cityscapes_paper_hparams.py)
# and train_video_UDA.py; docs/methods/tps.md. The final checkpoint is the reported one;
# viper2cityscapes_best_on_val.py is the originals' snapshot picking.
_base_ = [
    '../_base_/models/two_frame_deeplabv2_r50.py',
    '../_base_/datasets/viper2cityscapes_two_frame.py',
    '../_base_/schedules/viper2cityscapes_two_frame.py', '../_base_/default_runtime.py'
]
description = 'TPS: cross-frame pseudo labels on strongly augmented two-frame target clips'
model = dict(
    type='TPS',
    segmentor=dict(warp='bilinear'),  # TPS's Resample2d
    lambda_target=0.1,  # LAMBDA_T of tps_viper2city.yml
    lambda_seg_aux=0.1,  # LAMBDA_SEG_AUX, also on the target term
    threshold=None,  # tau = 0 (THRESHOLD is unused by the code)
    label_warp='bilinear',
    histogram_matching=True,
    strong_aug_input='original',  # docs/methods/tps.md, "Quirks"
    weak_flip='original',  # docs/methods/tps.md, "Quirks"
    blur_radii=(5, 7, 9),
    jitter=(0.8, 0.8, 0.8, 0.2),
    scale_range=(0.8, 1.2))  # SCALING_RATIO
optim_wrapper = dict(optimizer=dict(lr=1e-4))  # LEARNING_RATE of tps_viper2city.yml
max_iters = 40000  # EARLY_STOP
train_cfg = dict(max_iters=max_iters, val_interval=4000)
# The target clips are (t-2, t-1, t): the pseudo labels come from the pair before.
train_dataloader = dict(dataset=dict(target=dict(num_frames=3)))
