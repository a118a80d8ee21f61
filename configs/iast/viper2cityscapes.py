# IAST (Mei et al., ECCV 2020) on VIPER -> Cityscapes-VPS (Shin et al. (2021) Table 1 "A+S"): its own
# adversarial warm-up (configs/iast/viper2cityscapes_warmup.py), then three rounds of
# instance-adaptive self-training with IAST's regulariser, as IAST's official configs
# code/config/gtav2cityscapes_t4/run_task/sl_{1,2,3}.yaml and code (sseg/workflow/sl_trainer.py).
# configs/iast/viper2cityscapes_adaptsegnet_warmup.py: the toolbox's IAST before issue 16.
# docs/methods/iast.md
description = 'IAST: instance-adaptive self-training with its regulariser, from the adversarial warm-up'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_self_training.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
# run_self_traing_3rounds.sh: round 1 starts from the warm-up.
load_from = 'configs/iast/viper2cityscapes_warmup.py'
model = dict(type='IAST', lambda_seg_s=0.0, lambda_seg_t=1.0, lambda_reg=1.0, ent_weight=3.0,
             kld_weight=0.1)
# TRAIN.OPTIMIZER 'Adam', TRAIN.LR 3e-5 (round 1), 2.5e-5 (round 2), 2e-5 (round 3); build_optimizer:
# betas (0.9, 0.999), weight decay 5e-4, backbone at 0.1x the learning rate of the head.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=3e-5, betas=(0.9, 0.999), weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
# Three self-training rounds (sl_1, sl_2, sl_3), each a new run: one pseudo-label round and a
# cosine from that round's learning rate (restart weights 1, 2.5/3, 2/3) to 0.001 of it. The
# length of a round is ours (IAST: EPOCHES 2 over Cityscapes); IAST's cosine spans T_MAX 3 epochs
# of the 2 (it ends a round at ~1/4 of its rate; here each round decays fully, docs/deviations.md).
round_interval = 10000
max_iters = 3 * round_interval
param_scheduler = [
    dict(type='CosineRestartLR', periods=[round_interval] * 3, restart_weights=[1.0, 2.5 / 3, 2 / 3],
         eta_min_ratio=1e-3, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=round_interval)
default_hooks = dict(checkpoint=dict(interval=round_interval))
pseudo_labels = dict(
    policy=dict(
        type='InstanceAdaptivePolicy',
        alpha=0.2, alpha_step=0.05, max_alpha=0.3,  # PSEUDO_PL_ALPHA of sl_1/2/3: 0.2, 0.25, 0.3
        beta=0.9,  # PSEUDO_PL_BETA (default.py)
        gamma=8.0,  # PSEUDO_PL_GAMMA of the configs
        init_threshold=0.9,  # sl_trainer.py: thresholds start at 0.9 ...
        reset_each_round=True),  # ... in every round, a new run of main.py
    instance=2,  # PSEUDO_BATCH_SIZE 2 (default.py): the thresholds adapt per batch of 2 images
    interval=round_interval,
    scale={{_base_.pseudo_label_scale}},
    keep_rounds=2,
    label_dataset={{_base_.target_train_labels}})
