# Source-only on the embedded pair: cross-entropy on source clips, evaluated on target val.
description = 'Source-only: cross-entropy on source clips'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/synthetic.py', '../_base_/default_runtime.py'
]
model = dict(type='SourceOnly')
