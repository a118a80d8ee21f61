# Seed Table 6 "Base+fill-in": unlabelled pixels of frame t take the warped label of frame
# t - tau where not occluded (Eq. 14) instead of the cut-out. docs/methods/vst.md
_base_ = ['./synthetic.py']
model = dict(refine='fillin', lambda_reg=1.0)
custom_hooks = [
    dict(
        type='PseudoLabelHook',
        policy=dict(type='ClipAdaptivePolicy', alpha=0.2, beta=0.9, gamma=8.0, init_threshold=0.9),
        instance='clip',
        aggregate=dict(),
        flow='files',
        interval=200,
        label_dataset={{_base_.target_train_labels}})
]
