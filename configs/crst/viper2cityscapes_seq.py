# CRST (Zou et al., ICCV 2019): CBST + MR-KLD, on VIPER -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/viper2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
# docs/methods/crst.md
_base_ = ['../cbst/viper2cityscapes_seq.py']
description = 'CRST (MR-KLD) on VIPER -> Cityscapes-Seq'
model = dict(type='CRST', regularizer='mrkld', lambda_reg=0.1)
