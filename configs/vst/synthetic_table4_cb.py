# Seed Table 4 row "Class Balanced": VST's training on both frames from VAT, with CBST's
# class-balanced pseudo labels; no aggregation, regulariser or refinement. docs/methods/vst.md
_base_ = ['./synthetic.py']
model = dict(refine='none', lambda_reg=0.0)
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        policy=dict(type='ClassBalancedPolicy', portion=0.2, portion_step=0.05, max_portion=0.5),
        instance='clip',
        aggregate=None,
        flow='files',
        interval={{_base_.round_interval}},
        label_dataset={{_base_.target_train_labels}})
]
