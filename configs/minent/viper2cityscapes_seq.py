# MinEnt (ADVENT's direct entropy minimisation), DeepLabv2 / ResNet-50, on VIPER -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/viper2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_seq.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'MinEnt on VIPER -> Cityscapes-Seq: entropy minimisation on target frames'
model = dict(type='MinEnt', lambda_ent=0.001)  # ADVENT
