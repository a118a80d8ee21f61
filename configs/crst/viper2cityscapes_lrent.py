# CRST with LR-ENT (weight 0.25) on VIPER -> Cityscapes-VPS. docs/methods/crst.md
_base_ = ['./viper2cityscapes.py']
model = dict(regularizer='lrent', lambda_reg=0.25)
