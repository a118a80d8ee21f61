# Oracle, DeepLabv2 / ResNet-50, on SYNTHIA-Seq -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50_synthia_seq.py', '../_base_/datasets/synthia2cityscapes_seq.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'Oracle on SYNTHIA-Seq -> Cityscapes-Seq: cross-entropy on the annotated target train frames'
model = dict(type='Oracle')
# The oracle learns from the gtFine labels of the Cityscapes-Seq train snippets (frame t).
train_dataloader = dict(dataset=dict(target=dict(with_labels=True, labelled_only=True)))
