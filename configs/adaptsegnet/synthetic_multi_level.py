# Multi-level AdaptSegNet on the embedded pair: an auxiliary classifier on an earlier backbone
# output with its own discriminator. The classifier comes from the model base
# (`auxiliary_head` of configs/_base_/models/*.py: TinyConvNet layer 3 here, ResNet's stage 3 in
# the real setting, MiT's stage 3 on SegFormer). Weights of AdaptSegNet's multi-level model.
description = 'AdaptSegNet, multi-level: plus an auxiliary classifier with its own discriminator'
_base_ = ['./synthetic.py']
model = dict(
    segmentor=dict(auxiliary_head={{_base_.auxiliary_head}}),
    lambda_adv=0.001,  # main level
    lambda_adv_aux=0.0002,  # auxiliary level
    lambda_seg_aux=0.1)
