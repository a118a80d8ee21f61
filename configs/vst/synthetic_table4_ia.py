# Seed Table 4 row "Instance Adaptive": IAST's per-image thresholds (instance = one frame); no
# aggregation, regulariser or refinement. docs/methods/vst.md
_base_ = ['./synthetic.py']
model = dict(refine='none', lambda_reg=0.0)
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        policy=dict(type='InstanceAdaptivePolicy', alpha=0.2, beta=0.9, gamma=8.0, init_threshold=0.9),
        instance=1,
        aggregate=None,
        flow='files',
        interval={{_base_.round_interval}},
        label_dataset={{_base_.target_train_labels}})
]
