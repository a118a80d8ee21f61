# Shin et al. (2021) Table 4 row "+Aggregated prediction" on VIPER -> Cityscapes-VPS. docs/methods/vst.md
description = 'VST Table 4 +Aggregated prediction: clip-adaptive labels on aggregated predictions'
_base_ = ['./viper2cityscapes.py']
model = dict(refine=None, lambda_reg=0.0)
# The pseudo labels of the base config: clip-adaptive labels on aggregated predictions.
