# CRST with LR-ENT (weight 0.25) on VIPER -> Cityscapes-VPS. docs/methods/crst.md
description = 'CRST (LR-ENT): soft class-balanced pseudo labels of the label-entropy regulariser'
_base_ = ['./viper2cityscapes.py']
model = dict(regularizer='lrent', lambda_reg=0.25)
