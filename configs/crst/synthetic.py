# CRST (Zou et al., ICCV 2019) on the embedded pair: CBST's class-balanced pseudo labels plus the
# MR-KLD confidence regulariser (Shin et al. (2021) Eq. 5, Table 1 "ST"), from the source-only model.
# configs/crst/synthetic_lrent.py: the LR-ENT variant. docs/methods/crst.md
description = 'CRST (MR-KLD): class-balanced self-training plus the KLD model regulariser'
_base_ = ['../cbst/synthetic.py']
model = dict(type='CRST', regularizer='mrkld', lambda_reg=0.1)  # CRST's MR-KLD weight 0.1
