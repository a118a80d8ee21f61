# TPS on VIPER -> Cityscapes-VPS with the paper's hyper-parameters (Sec. 4.1 and Eq. 4: LR 2.5e-4,
# lambda_T = 1.0) instead of those of the released tps_viper2city.yml (1e-4, 0.1).
_base_ = ['./viper2cityscapes.py']
description = 'TPS with the lambda_T and learning rate of the paper instead of the released code'
model = dict(lambda_target=1.0)
optim_wrapper = dict(optimizer=dict(lr=2.5e-4))
