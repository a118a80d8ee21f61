# AdaBN (Li et al.) on VIPER -> Cityscapes-VPS: the source-only DeepLabv2 / ResNet-50 with its
# BatchNorm statistics re-estimated on Cityscapes-VPS train frames; no gradient step.
description = 'AdaBN: source-only model, BatchNorm statistics re-estimated on target frames'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
model = dict(type='AdaBN')
# The model to adapt: the latest checkpoint of the run of configs/source_only/viper2cityscapes.py.
load_from = 'configs/source_only/viper2cityscapes.py'
# 2000 target clips of 2 frames, averaged with BatchNorm momentum=None (our choice; AdaBN
# averages over the whole target set).
max_iters = 2000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = []  # no optimizer step, nothing to schedule
default_hooks = dict(checkpoint=dict(interval=max_iters))
