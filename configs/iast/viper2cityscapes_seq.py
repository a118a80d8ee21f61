# IAST (Mei et al., ECCV 2020): AdaptSegNet warm-up, then instance-adaptive
# self-training with IAST's regulariser, on VIPER -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/viper2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
# docs/methods/iast.md
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_seq_self_training.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'IAST on VIPER -> Cityscapes-Seq'
load_from = 'configs/adaptsegnet/viper2cityscapes_seq.py'
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
