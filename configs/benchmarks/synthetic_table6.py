# Table 6 of Shin et al. (2021) (online refinement) on the embedded pair, from the VAT model:
# Base (= Table 4's '+Regularization', no refinement), Base+fill-in (Eq. 14), Base+cut-out
# (Eq. 12, = 'Ours (VAT+VST)'). Same work dir as Tables 1 and 4 (finished rows are reused).
work_dir = 'work_dirs/benchmark_synthetic'
seeds = [0]
rows = [
    dict(name='VAT', config='configs/vat/synthetic.py', arch='AT'),
    dict(name='+Regularization', config='configs/vst/synthetic_table4_reg.py', arch='A+S',
         depends='VAT', paper='Base'),
    dict(name='Base+fill-in', config='configs/vst/synthetic_table6_fillin.py', arch='A+S',
         depends='VAT'),
    dict(name='Ours (VAT+VST)', config='configs/vst/synthetic.py', arch='A+S', depends='VAT',
         paper='Base+cut-out (ours)'),
]
