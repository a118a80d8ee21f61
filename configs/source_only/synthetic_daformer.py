# Source-only on the tiny DAFormer network (tiny MiT + DAFormer decoder) with DAFormer's schedule:
# the reference of the DAFormer and DAFormer+MIC rows (the same network without adaptation), as
# configs/source_only/synthetic.py is for the DeepLabv2 rows.
description = 'Source-only on the DAFormer network (MiT + DAFormer head)'
_base_ = [
    '../_base_/models/tiny_daformer.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/synthetic_daformer.py', '../_base_/default_runtime.py'
]
model = dict(type='SourceOnly')
