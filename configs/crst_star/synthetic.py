# CRST* (Shin et al. (2021) Table 1 "A+S"): CRST started from the adversarial warm-up (AdaptSegNet).
# docs/methods/crst.md
description = 'CRST*: CRST (MR-KLD) from the AdaptSegNet model'
_base_ = ['../crst/synthetic.py']
load_from = 'configs/adaptsegnet/synthetic.py'
