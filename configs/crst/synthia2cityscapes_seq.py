# CRST (Zou et al., ICCV 2019): CBST + MR-KLD, on SYNTHIA-Seq -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
# docs/methods/crst.md
_base_ = ['../cbst/synthia2cityscapes_seq.py']
description = 'CRST (MR-KLD) on SYNTHIA-Seq -> Cityscapes-Seq'
model = dict(type='CRST', regularizer='mrkld', lambda_reg=0.1)
