# Shin et al. (2021) Table 3, model (2): image-level adversarial training (image discriminator on each
# frame's softmax map), no Dice term; per-frame cross-entropy as VAT.
description = 'VAT Table 3 (2): image discriminator, no Dice'
_base_ = ['./viper2cityscapes.py']
model = dict(discriminator=dict(type='FCDiscriminator'), dice=None)
