# CRST with its label regulariser LR-ENT (Zou et al., ICCV 2019) instead of MR-KLD: soft pseudo labels
# y_k ~ (p_k / k_k) ** (1 / alpha) of the class-balanced k_c, alpha = 0.25 (CRST's lrent.sh), trained
# with the soft cross-entropy. The model regulariser the toolbox ran as "LR-ENT" before issue 16 is
# model.regularizer='mrent' (docs/methods/crst.md).
description = 'CRST (LR-ENT): soft class-balanced pseudo labels of the label-entropy regulariser'
_base_ = ['./synthetic.py']
model = dict(regularizer='lrent', lambda_reg=0.0)  # LR-ENT adds no loss term: its weight is alpha
pseudo_labels = dict(policy=dict(type='LabelEntropyPolicy', alpha=0.25))
# The soft labels are read beside the hard ones, before any geometric transform.
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='LoadClipSoftLabels'),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(dataset=dict(target=dict(pipeline=target_pipeline)))
