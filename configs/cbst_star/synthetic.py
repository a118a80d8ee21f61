# CBST* (Shin et al. (2021) Table 1 "A+S"): CBST started from the adversarial warm-up (AdaptSegNet) instead of
# the source-only model. docs/methods/cbst.md
description = 'CBST*: class-balanced self-training from the AdaptSegNet model'
_base_ = ['../cbst/synthetic.py']
load_from = 'configs/adaptsegnet/synthetic.py'
