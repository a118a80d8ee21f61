# Table 3 of Shin et al. (2021) (ablation of video adversarial training) on the embedded pair, plus
# the other adversarial variants the toolbox has: AdaptSegNet's multi-level option and ADVENT's
# MinEnt. Same work dir as Table 1, so its VAT / AdaptSegNet / ADVENT runs are reused.
#   (2) image discriminator, no Dice; (3) image discriminator + single-frame Dice;
#   (4) image discriminator + tube Dice; Ours = sequence discriminator + tube Dice (= 'VAT').
# Each row's config says so in its `description` (uda_toolbox.apis.config_description), which the
# benchmark prints, so the labels cannot drift from what runs.
work_dir = 'work_dirs/benchmark_synthetic'
seeds = [0]
rows = [
    dict(name='VAT (2)', config='configs/vat/synthetic_model2.py', arch='AT', paper='(2)'),
    dict(name='VAT (3)', config='configs/vat/synthetic_model3.py', arch='AT', paper='(3)'),
    dict(name='VAT (4)', config='configs/vat/synthetic_model4.py', arch='AT', paper='(4)'),
    dict(name='VAT', config='configs/vat/synthetic.py', arch='AT', paper='Ours'),
    dict(name='AdaptSegNet', config='configs/adaptsegnet/synthetic.py', arch='AT'),
    dict(name='AdaptSegNet multi-level', config='configs/adaptsegnet/synthetic_multi_level.py',
         arch='AT'),
    dict(name='ADVENT', config='configs/advent/synthetic.py', arch='AT'),
    dict(name='MinEnt', config='configs/minent/synthetic.py', arch='-'),
]
