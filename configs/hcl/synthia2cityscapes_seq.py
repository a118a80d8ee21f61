# HCL (Huang et al., NeurIPS 2021), source-free, on SYNTHIA-Seq -> Cityscapes-Seq, from this
# benchmark's source-only DeepLabv2 / ResNet-50 (no SYNTHIA-Seq data is read); the settings of
# configs/hcl/viper2cityscapes.py. docs/methods/hcl.md
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50_synthia_seq.py',
    '../_base_/datasets/synthia2cityscapes_seq_source_free.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'HCL (source-free) on SYNTHIA-Seq -> Cityscapes-Seq: historical contrastive discrimination'
load_from = 'configs/source_only/synthia2cityscapes_seq.py'
# HCL's README run and official code (docs/methods/hcl.md, Hyper-parameters).
model = dict(type='HCL', lambda_seg_aux=0.5, lambda_contrast=0.5, temperature=0.07,
             base_temperature=0.07, ema_momentum=0.996, history_interval=300, embed_channels=128,
             class_balance=True, often_balance=True, max_class_weight=7.0,
             small_class_fraction=1 / 32, view_scale=(0.8, 1.2), label_scales=(1.0, 1.25),
             label_flip=True,
             # HCL's 512x256 crops give 2048 positions per image at output stride 8; the
             # 1024x512 frames here 8192: contrast a random 2048 of them (memory of n x n).
             max_positions=2048)
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
# history_interval counts iterations: a shorter run (max_iters=N) scales it too (apis.schedule).
schedule_keys = ['model.history_interval']
