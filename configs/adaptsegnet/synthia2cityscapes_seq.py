# AdaptSegNet (single level), DeepLabv2 / ResNet-50, on SYNTHIA-Seq -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50_synthia_seq.py', '../_base_/datasets/synthia2cityscapes_seq.py',
    '../_base_/schedules/viper2cityscapes_adversarial.py', '../_base_/default_runtime.py'
]
description = 'AdaptSegNet, single level on SYNTHIA-Seq -> Cityscapes-Seq'
model = dict(
    type='AdaptSegNet',
    discriminator=dict(type='FCDiscriminator', widths=(64, 128, 256, 512)),  # AdaptSegNet
    lambda_adv=0.001,  # AdaptSegNet, single level
    gan_type='vanilla')
