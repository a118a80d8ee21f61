# CBST* (Shin et al. (2021) Table 1 "A+S" row, here on VIPER -> Cityscapes-Seq): CBST started from the
# AdaptSegNet warm-up. docs/methods/cbst.md
_base_ = ['../cbst/viper2cityscapes_seq.py']
description = 'CBST* on VIPER -> Cityscapes-Seq: class-balanced self-training from the AdaptSegNet model'
load_from = 'configs/adaptsegnet/viper2cityscapes_seq.py'
