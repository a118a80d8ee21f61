# ADVENT (AdvEnt), DeepLabv2 / ResNet-50, on SYNTHIA-Seq -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50_synthia_seq.py', '../_base_/datasets/synthia2cityscapes_seq.py',
    '../_base_/schedules/viper2cityscapes_adversarial.py', '../_base_/default_runtime.py'
]
description = 'ADVENT (AdvEnt) on SYNTHIA-Seq -> Cityscapes-Seq: discriminator on weighted self-information maps'
model = dict(
    type='ADVENT',
    discriminator=dict(type='FCDiscriminator', widths=(64, 128, 256, 512)),  # ADVENT
    lambda_adv=0.001,  # ADVENT
    lambda_ent=0.0,
    gan_type='vanilla')
