# CRST with the LR-ENT regulariser (weight 0.25, CRST) instead of MR-KLD. docs/methods/crst.md
_base_ = ['./synthetic.py']
model = dict(regularizer='lrent', lambda_reg=0.25)
