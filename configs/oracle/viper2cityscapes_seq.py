# Oracle, DeepLabv2 / ResNet-50, on VIPER -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/viper2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_seq.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'Oracle on VIPER -> Cityscapes-Seq: cross-entropy on the annotated target train frames'
model = dict(type='Oracle')
# The oracle learns from the gtFine labels of the Cityscapes-Seq train snippets (frame t).
train_dataloader = dict(dataset=dict(target=dict(with_labels=True, labelled_only=True)))
