# CBST with the toolbox's schedule before issue 16 (a named option, docs/deviations.md): the SGD of
# AdaptSegNet / ADVENT (lr 2.5e-4, poly 0.9) for 40k iterations and 4 rounds (p = 0.2 ... 0.35),
# BatchNorm as the other methods (batch statistics). docs/methods/cbst.md
description = 'CBST, 4 rounds (p up to 0.35) with SGD 2.5e-4 poly: the schedule before issue 16'
_base_ = ['./viper2cityscapes.py']
model = dict(segmentor=dict(backbone=dict(norm_eval=False)))
optim_wrapper = dict(optimizer=dict(lr=2.5e-4))
max_iters = 40000
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
pseudo_labels = dict(interval=10000)
