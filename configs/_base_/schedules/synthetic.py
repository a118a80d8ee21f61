# Schedule of the embedded pair, sized for the README's budget: every method of Table 1 trains
# and is evaluated over 3 seeds within 15 minutes on 2 CPU cores (`make demo`; issue 20). 160
# iterations of 2 clip pairs (batch_size in datasets/synthetic_source_free.py), a fifth of the
# first wave's 400 x 4: chosen from the time budget and from properties of source-only, AdaBN and
# the oracle that name no method (docs/data.md, "Measured properties"), not from any adaptation
# method's result. Version 1's budget is --cfg-options schedule_scale=2.5
# train_dataloader.batch_size=4 (`make demo GENERATOR=1`).
# Adam (lr 1e-3) suits the tiny randomly initialised model; the real schedule
# (schedules/viper2cityscapes.py) keeps the papers' SGD + poly.
max_iters = 160
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.0))
# Poly decay with power 0.9 as in DeepLab / AdaptSegNet / ADVENT / IAST.
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='VerifiedCheckpointHook', by_epoch=False, interval=max_iters,
                    max_keep_ckpts=2, save_last=True,
                    # temp file + rename: a killed job never leaves a truncated checkpoint;
                    # old ones are deleted only after the new one verifies on disk
                    backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
