# DAFormer's optimisation (official configs/_base_/schedules/adamw.py + poly10warm.py and the
# DAFormer config): AdamW, lr 6e-5, betas (0.9, 0.999), weight decay 0.01; the decoder ('head')
# at 10x the learning rate, no weight decay on normalisation layers and position blocks; a linear
# warm-up over the first 1500 iterations from 1e-6 x lr, and poly decay with power 1.0 over
# 40k iterations. The two schedulers overlap on purpose: mmengine multiplies their factors, which
# is mmcv 1.x's 'poly' with a linear warm-up exactly (lr_k = lr * (1 - k / 40000) *
# (1 - (1 - k / 1500) * (1 - 1e-6)) for k < 1500), as tests/engine/test_daformer_schedule.py
# checks.
_base_ = ['./viper2cityscapes.py']
max_iters = 40000
warmup_iters = 1500
# One optimizer over the student segmentor only (MultiOptimWrapperConstructor with a single
# entry): the frozen teacher never enters it (the default constructor with paramwise_cfg would
# log a warning for each of its parameters).
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
        # Custom keys match parameter names inside the segmentor (decode_head...). MiT's per-block
        # norms (norm1, norm2, the patch embedding's norm) match 'norm'; mmseg 1.x names each
        # stage's final LayerNorm layers.<i>.2, which 'norm' misses (as mmseg 1.x's SegFormer).
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
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=4000)
