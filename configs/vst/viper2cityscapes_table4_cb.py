# Seed Table 4 row "Class Balanced" on VIPER -> Cityscapes-VPS. docs/methods/vst.md
_base_ = ['./viper2cityscapes.py']
model = dict(refine='none', lambda_reg=0.0)
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        policy=dict(type='ClassBalancedPolicy', portion=0.2, portion_step=0.05, max_portion=0.5,
                    max_samples_per_class=2_000_000),
        instance='clip',
        aggregate=None,
        flow='files',
        interval=10000,
        scale={{_base_.pseudo_label_scale}},
        keep_rounds=2,
        label_dataset={{_base_.target_train_labels}})
]
