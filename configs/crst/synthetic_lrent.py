# CRST with the LR-ENT regulariser (weight 0.25, CRST) instead of MR-KLD. docs/methods/crst.md
description = 'CRST (LR-ENT): soft class-balanced pseudo labels of the label-entropy regulariser'
_base_ = ['./synthetic.py']
model = dict(regularizer='lrent', lambda_reg=0.25)
