# CBST (Zou et al., ECCV 2018) on VIPER -> Cityscapes-VPS (Shin et al. (2021) Table 1 "ST"), from the source-only
# model, with the original recipe of CBST / CRST's public code (crst_seg.py, cbst.sh).
# configs/cbst/viper2cityscapes_4rounds.py: the toolbox's schedule before issue 16. docs/methods/cbst.md
description = 'CBST: class-balanced self-training from the source-only model'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_self_training.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
load_from = 'configs/source_only/viper2cityscapes.py'
model = dict(
    type='CBST', lambda_seg_s=1.0, lambda_seg_t=1.0,
    # crst_seg.py retrains in model.eval() (--is-training is not set by cbst.sh / mrkld.sh /
    # lrent.sh): BatchNorm keeps its running statistics as well as its frozen affine parameters.
    segmentor=dict(backbone=dict(norm_eval=True)))
# crst_seg.py: SGD, LEARNING_RATE 5e-5, MOMENTUM 0.9, WEIGHT_DECAY 5e-4, POWER 0.0 (a constant
# learning rate), 10x on the classifier (get_10x_lr_params; paramwise_cfg of the base schedule).
optim_wrapper = dict(optimizer=dict(lr=5e-5))
param_scheduler = []
# p = 0.2, +0.05 per round, up to 0.5 (CBST paper; INIT_TGT_PORT, TGT_PORT_STEP, MAX_TGT_PORT):
# 7 rounds reach p = 0.5. The length of a round is ours (CRST's code trains 2 epochs per round).
round_interval = 6000
max_iters = 7 * round_interval
train_cfg = dict(max_iters=max_iters, val_interval=round_interval)
default_hooks = dict(checkpoint=dict(interval=round_interval))
pseudo_labels = dict(
    policy=dict(type='ClassBalancedPolicy', portion=0.2, portion_step=0.05, max_portion=0.5,
                # 12000 frames x 512 x 1024 pixels: estimate k_c from a sample
                max_samples_per_class=2_000_000),
    interval=round_interval,  # rounds 0-6: p = 0.2, 0.25, ..., 0.5
    scale={{_base_.pseudo_label_scale}},
    keep_rounds=2,
    label_dataset={{_base_.target_train_labels}})
