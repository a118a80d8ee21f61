# CRST* (Shin et al. (2021) Table 1 "A+S"): CRST started from the AdaptSegNet warm-up. docs/methods/crst.md
description = 'CRST*: CRST (MR-KLD) from the AdaptSegNet model'
_base_ = ['../crst/viper2cityscapes.py']
load_from = 'configs/adaptsegnet/viper2cityscapes.py'
