# Source-only, DeepLabv2 / ResNet-50, on VIPER -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/viper2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_seq.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'Source-only on VIPER -> Cityscapes-Seq: cross-entropy on source clips'
model = dict(type='SourceOnly')
