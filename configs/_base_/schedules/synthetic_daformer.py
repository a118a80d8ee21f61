# DAFormer's optimisation recipe (schedules/viper2cityscapes_daformer.py) scaled to the embedded
# pair's 160 iterations: AdamW, the decoder at 10x the learning rate, a linear warm-up over the
# first 6 iterations (1500 / 40000 of the run; the first wave had 15 of 400, which version 1's
# schedule_scale=2.5 gives as 17: LinearLR's end 7 -> 18 instead of 16) from 1e-6 x lr, then poly
# decay with power 1.0.
# The base learning rate is 3e-4 (decoder 3e-3): the tiny model starts from random weights, not
# from ImageNet. Chosen on the final source training loss of 400 source-only iterations of the
# tiny DAFormer model (6e-5: 1.13 at 200 iterations, 1e-4: 0.57, 3e-4: 0.26; the source-only
# schedule, Adam 1e-3 without warm-up: 0.49), not on target labels (docs/methods/daformer.md).
_base_ = ['./synthetic.py']
max_iters = 160
warmup_iters = 6
# One optimizer over the student segmentor only (MultiOptimWrapperConstructor with a single
# entry): the frozen teacher never enters it (the default constructor with paramwise_cfg would
# log a warning for each of its parameters).
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        optimizer=dict(type='AdamW', lr=3e-4, betas=(0.9, 0.999), weight_decay=0.01),
        paramwise_cfg=dict(custom_keys=dict(
            head=dict(lr_mult=10.0), pos_block=dict(decay_mult=0.0),
            norm=dict(decay_mult=0.0)))))
# mmengine's schedulers span end - begin - 1 steps, hence the + 1 (the factors reach 1 at
# warmup_iters and 0 at max_iters, as mmcv's).
param_scheduler = dict(_delete_=True, segmentor=[
    dict(type='LinearLR', start_factor=1e-6, end_factor=1.0, begin=0, end=warmup_iters + 1,
         by_epoch=False),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=0, end=max_iters + 1, by_epoch=False),
])
