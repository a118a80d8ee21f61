# IAST as the toolbox ran it before issue 16 (a named option, docs/deviations.md): from the AdaptSegNet
# model instead of IAST's own LSGAN warm-up, the SGD of AdaptSegNet / ADVENT (lr 2.5e-4, poly 0.9,
# 40k iterations, 4 rounds), a fixed alpha, thresholds carried over between rounds and one image
# per instance. docs/methods/iast.md
description = 'IAST from the AdaptSegNet model, SGD, fixed alpha, carried thresholds, 1 image per instance'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_self_training.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
load_from = 'configs/adaptsegnet/viper2cityscapes.py'
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
