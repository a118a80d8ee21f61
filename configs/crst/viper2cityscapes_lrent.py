# CRST with its label regulariser LR-ENT (alpha 0.25, CRST's lrent.sh) on VIPER -> Cityscapes-VPS: soft
# class-balanced pseudo labels and the soft cross-entropy. docs/methods/crst.md
description = 'CRST (LR-ENT): soft class-balanced pseudo labels of the label-entropy regulariser'
_base_ = ['./viper2cityscapes.py']
model = dict(regularizer='lrent', lambda_reg=0.0)  # LR-ENT adds no loss term: its weight is alpha
pseudo_labels = dict(policy=dict(type='LabelEntropyPolicy', alpha=0.25))
# The soft labels are read beside the hard ones, before any geometric transform.
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='LoadClipSoftLabels'),
    dict(type='ClipResize', scale={{_base_.target_scale}}, keep_ratio=True),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(dataset=dict(target=dict(pipeline=target_pipeline)))
