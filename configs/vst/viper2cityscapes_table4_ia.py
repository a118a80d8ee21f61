# Seed Table 4 row "Instance Adaptive" on VIPER -> Cityscapes-VPS. docs/methods/vst.md
_base_ = ['./viper2cityscapes.py']
model = dict(refine='none', lambda_reg=0.0)
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        policy=dict(type='InstanceAdaptivePolicy', alpha=0.2, beta=0.9, gamma=8.0, init_threshold=0.9),
        instance=1,
        aggregate=None,
        flow='files',
        interval=10000,
        scale={{_base_.pseudo_label_scale}},
        keep_rounds=2,
        label_dataset={{_base_.target_train_labels}})
]
