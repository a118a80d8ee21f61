# AdaptSegNet (single level) on the embedded pair: output-space adversarial learning on
# softmax maps (Shin et al. (2021) Eq. 1-2). docs/methods/adaptsegnet.md
description = 'AdaptSegNet, single level: output-space discriminator on softmax maps'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/synthetic_adversarial.py', '../_base_/default_runtime.py'
]
model = dict(
    type='AdaptSegNet',
    # Half the papers' widths (64-128-256-512): the tiny segmentor has 64 channels, not 2048.
    discriminator=dict(type='FCDiscriminator', widths=(32, 64, 128, 256)),
    lambda_adv=0.001,  # AdaptSegNet, single level
    gan_type='vanilla')
