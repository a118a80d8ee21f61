# Seed Table 4 row "Clip Adaptive": one threshold set per clip (Eq. 11); no aggregation,
# regulariser or refinement. docs/methods/vst.md
_base_ = ['./synthetic.py']
model = dict(refine='none', lambda_reg=0.0)
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        policy=dict(type='ClipAdaptivePolicy', alpha=0.2, beta=0.9, gamma=8.0, init_threshold=0.9),
        instance='clip',
        aggregate=None,
        flow='files',
        interval={{_base_.round_interval}},
        label_dataset={{_base_.target_train_labels}})
]
