# DAFormer + MIC on VIPER -> Cityscapes-VPS: configs/daformer/viper2cityscapes.py plus Masked Image
# Consistency with MIC's DAFormer settings (experiments.py, "MIC with further UDA methods"):
# 32 x 32 blocks at the half-resolution 512 x 512 crops (64 at full resolution), 70 % masked,
# loss weight 1, pseudo labels and weights shared with DAFormer's teacher ('same' alpha and
# threshold), the masked target frames colour-augmented first ('separatetrgaug').
# docs/methods/mic.md
description = "DAFormer + MIC: masked target frames against the EMA teacher's labels"
_base_ = ['../daformer/viper2cityscapes.py']
model = dict(mic=dict(block_size=32, mask_ratio=0.7, loss_weight=1.0, augment=True))
