# Shin et al. (2021) Table 3, model (3): image discriminator + the single-frame degradation of the tube
# loss (class-wise Dice on each frame alone).
description = 'VAT Table 3 (3): image discriminator + single-frame Dice'
_base_ = ['./synthetic.py']
model = dict(discriminator=dict(type='FCDiscriminator'), dice='frame')
