# DAFormer's optimisation recipe (schedules/viper2cityscapes_daformer.py) scaled to the embedded
# pair's 400 iterations: AdamW, the decoder at 10x the learning rate, a linear warm-up over the
# first 15 iterations (1500 / 40000 of the run) from 1e-6 x lr, then poly decay with power 1.0.
# The base learning rate is 1e-4 (decoder 1e-3, the source-only schedule's Adam lr): the tiny
# model starts from random weights, not from ImageNet, and 6e-5 barely moves it in 400 steps
# (chosen on the source training loss, not on target labels; docs/methods/daformer.md).
_base_ = ['./synthetic.py']
max_iters = 400
warmup_iters = 15
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=dict(
        head=dict(lr_mult=10.0), pos_block=dict(decay_mult=0.0), norm=dict(decay_mult=0.0))))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, end_factor=1.0, begin=0, end=warmup_iters,
         by_epoch=False),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=0, end=max_iters, by_epoch=False),
]
