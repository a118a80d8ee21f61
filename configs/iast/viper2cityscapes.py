# IAST (Mei et al., ECCV 2020) on VIPER -> Cityscapes-VPS (Shin et al. (2021) Table 1 "A+S"): AdaptSegNet warm-up,
# then instance-adaptive self-training with IAST's regulariser. docs/methods/iast.md
description = 'IAST: instance-adaptive self-training with its regulariser, from the adversarial warm-up'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_self_training.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
load_from = 'work_dirs/adaptsegnet_viper2cityscapes/iter_40000.pth'
model = dict(type='IAST', lambda_seg_s=0.0, lambda_seg_t=1.0, lambda_reg=1.0, ent_weight=3.0,
             kld_weight=0.1)
pseudo_labels = dict(
    policy=dict(type='InstanceAdaptivePolicy', alpha=0.2, beta=0.9, gamma=8.0,
                init_threshold=0.9),
    instance=1,
    interval=10000,
    scale={{_base_.pseudo_label_scale}},
    keep_rounds=2,
    label_dataset={{_base_.target_train_labels}})
