# URMA (Sivaprasad & Fleuret, CVPR 2021), source-free, on Cityscapes-VPS from the VIPER
# source-only DeepLabv2 / ResNet-50 (no VIPER data is read). docs/methods/urma.md
description = 'URMA (source-free): class-balanced labels, entropy, noisy-decoder consistency'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_source_free.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
# The model to adapt: the latest checkpoint of the run of configs/source_only/viper2cityscapes.py
# (a config in load_from stands for its run); the benchmark passes its own (depends).
load_from = 'configs/source_only/viper2cityscapes.py'
model = dict(type='URMA', lambda_ce=1.0, lambda_ent=1.0, lambda_div=0.0, lambda_unc=0.1,
             num_decoders=4, dropout=0.5, freeze_classifier=True)
# URMA's optimisation (utils/argparser.py): SGD, lr 5e-5, momentum 0.9, weight decay 5e-4,
# poly power 0 (a constant lr); the noisy decoders at 10x lr (NoisyDecoders.optim_parameters), as
# the classifier (from schedules/viper2cityscapes.py; frozen here).
# Two epochs of the target set: Cityscapes-VPS train has 12,000 frames, 2 per clip here.
max_iters = 12000
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=5e-5, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys=dict(decoders=dict(lr_mult=10.0))))
param_scheduler = []
train_cfg = dict(max_iters=max_iters, val_interval=4000)
pseudo_label_dir = '{work_dir}/pseudo_labels'
train_dataloader = dict(dataset=dict(target=dict(pseudo_label_dir=pseudo_label_dir)))
pseudo_labels = dict(
    policy=dict(type='ClassBalancedPolicy', portion=0.2, portion_step=0.0, max_portion=0.2,
                # 12000 frames x 512 x 1024 pixels: estimate k_c from a sample (as CBST's config)
                max_samples_per_class=2_000_000),
    interval=max_iters,
    max_rounds=1,
    flip=True,
    # The rounds see the target frames as training does (ClipResize to 1024x512).
    scale=(1024, 512))
