# Seed Table 4 row "+Regularization" = Table 6 "Base": + IAST's regulariser, no online
# refinement. (Table 4 "+Temporal Refinement" = configs/vst/synthetic.py.) docs/methods/vst.md
_base_ = ['./synthetic.py']
model = dict(refine='none', lambda_reg=1.0)
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
