# Table 4 (ablation of video self-training) and Table 6 (online refinement) of the seed paper, on the
# embedded pair. Every row starts from the VAT model. The work dir is Table 1's, so its VAT and
# 'Ours (VAT+VST)' runs are reused when they exist (a finished row is skipped).
#   Table 4: VAT, Class Balanced, Instance Adaptive, Clip Adaptive, +Aggregated prediction,
#            +Regularization, +Temporal Refinement (= 'Ours (VAT+VST)')
#   Table 6: Base (= '+Regularization'), Base+fill-in, Base+cut-out (= 'Ours (VAT+VST)')
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
    dict(name='Base+fill-in', config='configs/vst/synthetic_table6_fillin.py', arch='A+S',
         depends='VAT'),
    dict(name='Ours (VAT+VST)', config='configs/vst/synthetic.py', arch='A+S', depends='VAT'),
]
