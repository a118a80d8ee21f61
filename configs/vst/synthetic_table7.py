# Shin et al. (2021) Table 7 on the embedded pair: P-mIoU of class-balanced (CB), instance-adaptive (IA) and
# clip-adaptive (ours: aggregated predictions, Eq. 10-11) pseudo labels of the same model at equal
# labelled proportions. Each method's parameter is tuned by bisection to reach the proportion
# (Shin et al. (2021) tunes alpha). Not a training config:
#   python tools/analysis/pseudo_label_quality.py configs/vst/synthetic_table7.py [CHECKPOINT]
# The model defaults to load_from (the VAT model VST starts from). docs/pseudo_labels.md
description = 'VST Table 7 analysis: P-mIoU of CB, IA and clip-adaptive labels at equal proportions'
_base_ = ['./synthetic.py']
pseudo_label_quality = dict(
    proportions=[0.3, 0.4],
    tolerance=0.005,  # |reached - wanted| proportion
    methods=[
        # CB: the portion p of every class (no growth: one round).
        dict(name='CB', param='portion', range=(0.01, 1.0), instance='clip', aggregate=False,
             policy=dict(type='ClassBalancedPolicy', portion=0.2, portion_step=0.0,
                         max_portion=1.0)),
        # IA: IAST's alpha, each frame an instance.
        dict(name='IA', param='alpha', range=(1e-4, 1.0), instance=1, aggregate=False,
             policy=dict(type='InstanceAdaptivePolicy', alpha=0.2, beta=0.9, gamma=8.0,
                         init_threshold=0.9)),
        # Ours: alpha of the clip-adaptive rule on aggregated predictions.
        dict(name='Ours', param='alpha', range=(1e-4, 1.0), instance='clip', aggregate=True,
             policy=dict(type='ClipAdaptivePolicy', alpha=0.2, beta=0.9, gamma=8.0,
                         init_threshold=0.9)),
    ])
