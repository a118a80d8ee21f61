# Seed Table 6 "Base+fill-in" (Eq. 14) on VIPER -> Cityscapes-VPS. docs/methods/vst.md
_base_ = ['./viper2cityscapes.py']
model = dict(refine='fillin', lambda_reg=1.0)
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        policy=dict(type='ClipAdaptivePolicy', alpha=0.2, beta=0.9, gamma=8.0, init_threshold=0.9),
        instance='clip',
        aggregate=dict(),
        flow='files',
        interval=10000,
        scale={{_base_.pseudo_label_scale}},
        keep_rounds=2,
        label_dataset={{_base_.target_train_labels}})
]
