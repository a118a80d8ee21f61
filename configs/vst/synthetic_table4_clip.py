# Shin et al. (2021) Table 4 row "Clip Adaptive": one threshold set per clip (Eq. 11); no aggregation,
# regulariser or refinement. docs/methods/vst.md
description = 'VST Table 4 Clip Adaptive: one threshold set per clip, nothing else'
_base_ = ['./synthetic.py']
model = dict(refine=None, lambda_reg=0.0)
pseudo_labels = dict(aggregate=None)
