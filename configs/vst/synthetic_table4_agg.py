# Shin et al. (2021) Table 4 row "+Aggregated prediction": clip-adaptive labels on temporally aggregated
# predictions (Eq. 10). docs/methods/vst.md
description = 'VST Table 4 +Aggregated prediction: clip-adaptive labels on aggregated predictions'
_base_ = ['./synthetic.py']
model = dict(refine=None, lambda_reg=0.0)
# The pseudo labels of the base config: clip-adaptive labels on aggregated predictions.
