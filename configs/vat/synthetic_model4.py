# Shin et al. (2021) Table 3, model (4): image discriminator + tube matching loss (Eq. 6-7).
description = 'VAT Table 3 (4): image discriminator + tube Dice'
_base_ = ['./synthetic.py']
model = dict(discriminator=dict(type='FCDiscriminator'), dice='tube')
