# Table 5 of Shin et al. (2021) (importance of video adversarial training): the full VST phase on
# each adversarial model of Table 3. Same work dir as Tables 1 and 3 (their warm-ups are reused).
work_dir = 'work_dirs/benchmark_synthetic'
seeds = [0]
rows = [
    dict(name='VAT (2)', config='configs/vat/synthetic_model2.py', arch='AT'),
    dict(name='VAT (3)', config='configs/vat/synthetic_model3.py', arch='AT'),
    dict(name='VAT (4)', config='configs/vat/synthetic_model4.py', arch='AT'),
    dict(name='VAT', config='configs/vat/synthetic.py', arch='AT'),
    dict(name='VAT (2) + VST', config='configs/vst/synthetic.py', arch='A+S', depends='VAT (2)'),
    dict(name='VAT (3) + VST', config='configs/vst/synthetic.py', arch='A+S', depends='VAT (3)'),
    dict(name='VAT (4) + VST', config='configs/vst/synthetic.py', arch='A+S', depends='VAT (4)'),
    dict(name='Ours (VAT+VST)', config='configs/vst/synthetic.py', arch='A+S', depends='VAT'),
]
