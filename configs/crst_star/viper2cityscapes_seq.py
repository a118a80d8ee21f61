# CRST* (Shin et al. (2021) Table 1 "A+S" row, here on VIPER -> Cityscapes-Seq): CRST started from the
# AdaptSegNet warm-up. docs/methods/crst.md
_base_ = ['../crst/viper2cityscapes_seq.py']
description = 'CRST* on VIPER -> Cityscapes-Seq: CRST (MR-KLD) from the AdaptSegNet model'
load_from = 'configs/adaptsegnet/viper2cityscapes_seq.py'
