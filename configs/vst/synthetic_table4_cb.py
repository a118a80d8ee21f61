# Shin et al. (2021) Table 4 row "Class Balanced": VST's training on both frames from VAT, with CBST's
# class-balanced pseudo labels; no aggregation, regulariser or refinement. docs/methods/vst.md
description = 'VST Table 4 Class Balanced: CBST labels, no aggregation, regulariser or refinement'
_base_ = ['./synthetic.py']
model = dict(refine=None, lambda_reg=0.0)
pseudo_labels = dict(
    policy=dict(_delete_=True, type='ClassBalancedPolicy', portion=0.2, portion_step=0.05,
                max_portion=0.5),
    aggregate=None)
