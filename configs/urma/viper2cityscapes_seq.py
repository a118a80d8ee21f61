# URMA (Sivaprasad & Fleuret, CVPR 2021), source-free, on VIPER -> Cityscapes-Seq, from this
# benchmark's source-only DeepLabv2 / ResNet-50 (no VIPER data is read); the settings of
# configs/urma/viper2cityscapes.py. docs/methods/urma.md
# The DA-VSN / TPS benchmark: configs/benchmarks/viper2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50.py',
    '../_base_/datasets/viper2cityscapes_seq_source_free.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'URMA (source-free) on VIPER -> Cityscapes-Seq: class-balanced labels, noisy decoders'
load_from = 'configs/source_only/viper2cityscapes_seq.py'
# URMA's README run and utils/argparser.py defaults (docs/methods/urma.md, Hyper-parameters).
model = dict(type='URMA', lambda_ce=1.0, lambda_ent=1.0, lambda_div=0.0, lambda_unc=0.1,
             num_decoders=4, dropout=0.5, freeze_classifier=True)
# URMA's optimisation (utils/argparser.py): SGD, lr 5e-5, momentum 0.9, weight decay 5e-4,
# poly power 0 (a constant lr); the noisy decoders at 10x lr (NoisyDecoders.optim_parameters).
# Two epochs of the target set (URMA's EPR = 2): 2975 Cityscapes-Seq train snippets, one per
# iteration.
max_iters = 5950
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=5e-5, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys=dict(decoders=dict(lr_mult=10.0))))
param_scheduler = []
train_cfg = dict(max_iters=max_iters, val_interval=2975)
pseudo_label_dir = '{work_dir}/pseudo_labels'
train_dataloader = dict(dataset=dict(target=dict(pseudo_label_dir=pseudo_label_dir)))
pseudo_labels = dict(
    # URMA: --init-tgt-port 0.2, NUM_ROUNDS = 1, flip-averaged predictions
    policy=dict(type='ClassBalancedPolicy', portion=0.2, portion_step=0.0, max_portion=0.2,
                # 2975 snippets x 2 frames x 512 x 1024 pixels: estimate k_c from a sample
                max_samples_per_class=2_000_000),
    interval=max_iters,
    max_rounds=1,
    flip=True,
    # The rounds see the target frames as training does (ClipResize to 1024x512).
    scale=(1024, 512))
