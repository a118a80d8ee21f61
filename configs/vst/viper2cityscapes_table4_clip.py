# Shin et al. (2021) Table 4 row "Clip Adaptive" on VIPER -> Cityscapes-VPS. docs/methods/vst.md
description = 'VST Table 4 Clip Adaptive: one threshold set per clip, nothing else'
_base_ = ['./viper2cityscapes.py']
model = dict(refine=None, lambda_reg=0.0)
pseudo_labels = dict(aggregate=None)
