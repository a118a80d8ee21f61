# CBST (Zou et al., ECCV 2018) on the embedded pair: self-training on class-balanced pseudo labels
# (Shin et al. (2021) Eq. 5, Table 1 "ST"), starting from the source-only model. docs/methods/cbst.md
description = 'CBST: class-balanced self-training from the source-only model'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic_self_training.py',
    '../_base_/schedules/synthetic_self_training.py', '../_base_/default_runtime.py'
]
# Initial weights: the latest checkpoint of the source-only run (train configs/source_only/synthetic.py
# first; a config in load_from stands for its run). The benchmark passes its own run's checkpoint
# instead (row `depends`).
load_from = 'configs/source_only/synthetic.py'
model = dict(type='CBST', lambda_seg_s=1.0, lambda_seg_t=1.0)
# Pseudo-label rounds (PseudoLabelHook, built from this key by uda_toolbox.apis; docs/pseudo_labels.md).
pseudo_labels = dict(
    # Top-p portion per class over the whole target set; p = 0.2, +0.05 per round, <= 0.5
    # (CBST / CRST code).
    policy=dict(type='ClassBalancedPolicy', portion=0.2, portion_step=0.05, max_portion=0.5),
    interval={{_base_.round_interval}},  # rounds before iterations 1 and 101 of 200
    label_dataset={{_base_.target_train_labels}})  # P-mIoU in the log (analysis only)
