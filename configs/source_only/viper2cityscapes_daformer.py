# Source-only on DAFormer's network (MiT-B5 + DAFormer decoder) with its 512 x 512 crops and
# schedule: the reference of the DAFormer and DAFormer+MIC rows on VIPER -> Cityscapes-VPS.
description = 'Source-only on the DAFormer network (MiT + DAFormer head)'
_base_ = [
    '../_base_/models/daformer_mit_b5.py', '../_base_/datasets/viper2cityscapes_crop512.py',
    '../_base_/schedules/viper2cityscapes_daformer.py', '../_base_/default_runtime.py'
]
model = dict(type='SourceOnly')
