# Shin et al. (2021) Table 4 row "Instance Adaptive" on VIPER -> Cityscapes-VPS. docs/methods/vst.md
description = 'VST Table 4 Instance Adaptive: IAST labels per frame, nothing else'
_base_ = ['./viper2cityscapes.py']
model = dict(refine=None, lambda_reg=0.0)
pseudo_labels = dict(policy=dict(type='InstanceAdaptivePolicy'), instance=1, aggregate=None)
