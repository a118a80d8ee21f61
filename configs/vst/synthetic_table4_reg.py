# Shin et al. (2021) Table 4 row "+Regularization" = Table 6 "Base": + IAST's regulariser, no online
# refinement. (Table 4 "+Temporal Refinement" = configs/vst/synthetic.py.) docs/methods/vst.md
description = 'VST Table 4 +Regularization (Table 6 Base): no online refinement'
_base_ = ['./synthetic.py']
model = dict(refine=None, lambda_reg=1.0)
# The pseudo labels of the base config: clip-adaptive labels on aggregated predictions.
