# Table 4 of Shin et al. (2021) (ablation of video self-training) on the embedded pair. Every row
# starts from the VAT model; the work dir is Table 1's, so its VAT and 'Ours (VAT+VST)' runs are
# reused when they exist.
#   VAT, Class Balanced, Instance Adaptive, Clip Adaptive, +Aggregated prediction,
#   +Regularization, +Temporal Refinement (= 'Ours (VAT+VST)')
work_dir = 'work_dirs/benchmark_synthetic'
seeds = [0]
rows = [
    dict(name='VAT', config='configs/vat/synthetic.py', arch='AT'),
    dict(name='Class Balanced', config='configs/vst/synthetic_table4_cb.py', arch='A+S',
         depends='VAT'),
    dict(name='Instance Adaptive', config='configs/vst/synthetic_table4_ia.py', arch='A+S',
         depends='VAT'),
    dict(name='Clip Adaptive', config='configs/vst/synthetic_table4_clip.py', arch='A+S',
         depends='VAT'),
    dict(name='+Aggregated prediction', config='configs/vst/synthetic_table4_agg.py', arch='A+S',
         depends='VAT'),
    dict(name='+Regularization', config='configs/vst/synthetic_table4_reg.py', arch='A+S',
         depends='VAT'),
    dict(name='Ours (VAT+VST)', config='configs/vst/synthetic.py', arch='A+S', depends='VAT',
         paper='+Temporal Refinement'),
]
