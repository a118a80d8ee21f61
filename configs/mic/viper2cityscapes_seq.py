# DAFormer + MIC (Hoyer et al., CVPR 2023) on VIPER -> Cityscapes-Seq:
# configs/daformer/viper2cityscapes_seq.py plus Masked Image Consistency with MIC's DAFormer
# settings (experiments.py, "MIC with further UDA methods"), as configs/mic/viper2cityscapes.py:
# 32 x 32 blocks at the half-resolution 512 x 512 crops (64 at full resolution), 70 % masked,
# loss weight 1, the teacher's pseudo labels and weights shared with DAFormer, the masked target
# frames colour-augmented first ('separatetrgaug'). docs/methods/mic.md
# The DA-VSN / TPS benchmark: configs/benchmarks/viper2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = ['../daformer/viper2cityscapes_seq.py']
description = 'DAFormer + MIC on VIPER -> Cityscapes-Seq: masked target frames against the EMA teacher'
model = dict(mic=dict(block_size=32, mask_ratio=0.7, loss_weight=1.0, augment=True))
