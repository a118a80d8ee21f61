# DAFormer + MIC (Hoyer et al., CVPR 2023) on the embedded pair: configs/daformer/synthetic.py plus
# Masked Image Consistency on the target frames. Block size: MIC uses 64 px at full resolution
# and 32 px for DAFormer at half resolution (512 x 512 crops of 1024 x 512 frames; MIC
# experiments.py), i.e. 1/16 of the frame height; the 64 px high frames here get 4 px blocks.
# 70 % of the blocks masked, loss weight 1, the masked frames colour-augmented first.
# docs/methods/mic.md
description = "DAFormer + MIC: masked target frames against the EMA teacher's labels"
_base_ = ['../daformer/synthetic.py']
model = dict(mic=dict(block_size=4, mask_ratio=0.7, loss_weight=1.0, augment=True))
