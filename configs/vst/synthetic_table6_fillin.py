# Shin et al. (2021) Table 6 "Base+fill-in": unlabelled pixels of frame t take the warped label of frame
# t - tau where not occluded (Eq. 14) instead of the cut-out. docs/methods/vst.md
description = 'VST Table 6 Base+fill-in: Eq. 14 instead of the cut-out'
_base_ = ['./synthetic.py']
model = dict(refine='fillin', lambda_reg=1.0)
# The pseudo labels of the base config: clip-adaptive labels on aggregated predictions.
