# HCL (Huang et al., NeurIPS 2021), source-free, on Cityscapes-VPS from the VIPER source-only
# DeepLabv2 / ResNet-50 (no VIPER data is read). docs/methods/hcl.md
description = 'HCL (source-free): historical contrastive instance + category discrimination'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_source_free.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
# The model to adapt: the latest checkpoint of the run of configs/source_only/viper2cityscapes.py
# (a config in load_from stands for its run); the benchmark passes its own (depends).
load_from = 'configs/source_only/viper2cityscapes.py'
model = dict(type='HCL', lambda_seg_aux=0.5, lambda_contrast=0.5, temperature=0.07,
             base_temperature=0.07, ema_momentum=0.996, history_interval=300, embed_channels=128,
             class_balance=True, often_balance=True, max_class_weight=7.0,
             small_class_fraction=1 / 32, view_scale=(0.8, 1.2), label_scales=(1.0, 1.25),
             label_flip=True,
             # HCL's 512x256 crops give 2048 positions per image at output stride 8; the
             # 1024x512 frames here 8192: contrast a random 2048 of them (memory of n x n).
             max_positions=2048)
# history_interval counts iterations: a shorter run (max_iters=N) scales it too (apis.schedule).
schedule_keys = ['model.history_interval']
# HCL's optimisation (train_ft_advent_hcl.py, utils/tool.py): SGD with Nesterov momentum 0.9,
# lr 1e-4, weight decay 5e-4, 10x lr on the classifiers and the projection head, linear warm-up
# from 0.1x over 5000 iterations, then poly 0.9. The 40k iterations are the benchmark's (HCL:
# 100k iterations of 9 crops).
max_iters = {{_base_.max_iters}}
# (The classifiers' 10x comes from schedules/viper2cityscapes.py; the projection head's is added.)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=1e-4, momentum=0.9, weight_decay=5e-4, nesterov=True),
    paramwise_cfg=dict(custom_keys={'projector': dict(lr_mult=10.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, end_factor=1.0, begin=0, end=5000, by_epoch=False),
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=5000, end=max_iters, by_epoch=False),
]
