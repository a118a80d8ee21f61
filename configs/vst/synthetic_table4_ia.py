# Shin et al. (2021) Table 4 row "Instance Adaptive": IAST's per-image thresholds (instance = one frame); no
# aggregation, regulariser or refinement. docs/methods/vst.md
description = 'VST Table 4 Instance Adaptive: IAST labels per frame, nothing else'
_base_ = ['./synthetic.py']
model = dict(refine=None, lambda_reg=0.0)
pseudo_labels = dict(
    policy=dict(type='InstanceAdaptivePolicy'),  # IAST's rule: same alpha, beta, gamma, theta_0
    instance=1,
    aggregate=None)
