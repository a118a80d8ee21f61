# Shin et al. (2021) Table 3, model (4): image discriminator + tube matching loss (Eq. 6-7).
_base_ = ['./viper2cityscapes.py']
model = dict(discriminator=dict(type='FCDiscriminator'), dice='tube')
