# Source-only on DAFormer's network (MiT-B5 + DAFormer decoder) with its 512 x 512 crops and
# schedule: the reference of the DAFormer and DAFormer+MIC rows on VIPER -> Cityscapes-Seq, as
# configs/source_only/viper2cityscapes_daformer.py is on VIPER -> Cityscapes-VPS.
# The DA-VSN / TPS benchmark: configs/benchmarks/viper2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/daformer_mit_b5.py', '../_base_/datasets/viper2cityscapes_seq_crop512.py',
    '../_base_/schedules/viper2cityscapes_daformer.py', '../_base_/default_runtime.py'
]
description = 'Source-only on VIPER -> Cityscapes-Seq, on the DAFormer network (MiT + DAFormer head)'
model = dict(type='SourceOnly')
