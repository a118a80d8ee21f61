# Source-only, DeepLabv2 / ResNet-50, on SYNTHIA-Seq -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50_synthia_seq.py', '../_base_/datasets/synthia2cityscapes_seq.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'Source-only on SYNTHIA-Seq -> Cityscapes-Seq: cross-entropy on source clips'
model = dict(type='SourceOnly')
