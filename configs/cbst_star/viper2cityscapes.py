# CBST* (Shin et al. (2021) Table 1 "A+S"): CBST started from the AdaptSegNet warm-up. docs/methods/cbst.md
description = 'CBST*: class-balanced self-training from the AdaptSegNet model'
_base_ = ['../cbst/viper2cityscapes.py']
load_from = 'configs/adaptsegnet/viper2cityscapes.py'
