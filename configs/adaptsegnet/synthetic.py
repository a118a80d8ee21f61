# AdaptSegNet (single level) on the embedded pair: output-space adversarial learning on
# softmax maps (Shin et al. (2021) Eq. 1-2). docs/methods/adaptsegnet.md
description = 'AdaptSegNet, single level: output-space discriminator on softmax maps'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/synthetic_adversarial.py', '../_base_/default_runtime.py',
    '../_base_/models/tiny_discriminators.py'
]
model = dict(
    type='AdaptSegNet',
    # The papers' widths / 8, sized to the tiny segmentor (_base_/models/tiny_discriminators.py).
    discriminator=dict(type='FCDiscriminator', widths={{_base_.embedded_discriminator_widths}}),
    lambda_adv=0.001,  # AdaptSegNet, single level
    gan_type='vanilla')
