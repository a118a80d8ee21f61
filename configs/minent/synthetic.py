# MinEnt (ADVENT's direct entropy minimisation) on the embedded pair: one optimizer, the
# ordinary schedule. docs/methods/minent.md
description = 'MinEnt: entropy minimisation on target frames'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/synthetic.py', '../_base_/default_runtime.py'
]
model = dict(type='MinEnt', lambda_ent=0.001)  # ADVENT
