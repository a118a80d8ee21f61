# CRST (Zou et al., ICCV 2019) on VIPER -> Cityscapes-VPS (Shin et al. (2021) Table 1 "ST"): CBST + MR-KLD.
# docs/methods/crst.md
description = 'CRST (MR-KLD): class-balanced self-training plus the KLD model regulariser'
_base_ = ['../cbst/viper2cityscapes.py']
model = dict(type='CRST', regularizer='mrkld', lambda_reg=0.1)
