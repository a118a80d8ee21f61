# ADVENT (AdvEnt) on the embedded pair: adversarial alignment of weighted self-information
# maps. docs/methods/advent.md
description = 'ADVENT (AdvEnt): discriminator on weighted self-information maps'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/synthetic_adversarial.py', '../_base_/default_runtime.py',
    '../_base_/models/tiny_discriminators.py'
]
model = dict(
    type='ADVENT',
    # The papers' widths / 8, sized to the tiny segmentor (_base_/models/tiny_discriminators.py).
    discriminator=dict(type='FCDiscriminator', widths={{_base_.embedded_discriminator_widths}}),
    lambda_adv=0.001,  # ADVENT
    lambda_ent=0.0,  # > 0 adds direct entropy minimisation to the adversarial objective
    gan_type='vanilla')
