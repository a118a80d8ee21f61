# Shin et al. (2021) Table 6 "Base+fill-in" (Eq. 14) on VIPER -> Cityscapes-VPS. docs/methods/vst.md
description = 'VST Table 6 Base+fill-in: Eq. 14 instead of the cut-out'
_base_ = ['./viper2cityscapes.py']
model = dict(refine='fillin', lambda_reg=1.0)
# The pseudo labels of the base config: clip-adaptive labels on aggregated predictions.
