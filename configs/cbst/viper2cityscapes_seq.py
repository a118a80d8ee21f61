# CBST (Zou et al., ECCV 2018), from the source-only model, on VIPER -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/viper2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
# docs/methods/cbst.md
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_seq_self_training.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'CBST on VIPER -> Cityscapes-Seq: class-balanced self-training from the source-only model'
load_from = 'configs/source_only/viper2cityscapes_seq.py'
model = dict(type='CBST', lambda_seg_s=1.0, lambda_seg_t=1.0)
pseudo_labels = dict(
    policy=dict(type='ClassBalancedPolicy', portion=0.2, portion_step=0.05, max_portion=0.5,
                # 2975 snippets x 2 frames x 512 x 1024 pixels: estimate k_c from a sample
                max_samples_per_class=2_000_000),
    interval=10000,  # rounds 0-3 (p = 0.2 ... 0.35); our choice, the papers train per round
    scale={{_base_.pseudo_label_scale}},
    keep_rounds=2,
    label_dataset={{_base_.target_train_labels}})
