# CBST* (Shin et al. (2021) Table 1 "A+S" row, here on SYNTHIA-Seq -> Cityscapes-Seq): CBST started from the
# AdaptSegNet warm-up. docs/methods/cbst.md
_base_ = ['../cbst/synthia2cityscapes_seq.py']
description = 'CBST* on SYNTHIA-Seq -> Cityscapes-Seq: class-balanced self-training from the AdaptSegNet model'
load_from = 'configs/adaptsegnet/synthia2cityscapes_seq.py'
