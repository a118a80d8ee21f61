# ADVENT (AdvEnt), DeepLabv2 / ResNet-50, on VIPER -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/viper2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_seq.py',
    '../_base_/schedules/viper2cityscapes_adversarial.py', '../_base_/default_runtime.py'
]
description = 'ADVENT (AdvEnt) on VIPER -> Cityscapes-Seq: discriminator on weighted self-information maps'
model = dict(
    type='ADVENT',
    discriminator=dict(type='FCDiscriminator', widths=(64, 128, 256, 512)),  # ADVENT
    lambda_adv=0.001,  # ADVENT
    lambda_ent=0.0,
    gan_type='vanilla')
