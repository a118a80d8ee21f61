# The papers' segmentor optimisation (AdaptSegNet train_gta2cityscapes_multi.py, ADVENT
# train_UDA.py, DeepLabv2 on ResNet): SGD, lr 2.5e-4, momentum 0.9, weight decay 5e-4, poly decay
# with power 0.9, and 10x that learning rate on the classifier(s) (their optim_parameters /
# get_10x_lr_params: the ASPP of the main and, multi-level, the auxiliary head).
# The iteration count is not given by Shin et al. (2021); 40k iterations of one clip pair is
# our choice (docs/benchmarks.md). One learning rate for everything (the toolbox before issue
# 16): --cfg-options optim_wrapper.paramwise_cfg=None (adversarial configs:
# optim_wrapper.segmentor.paramwise_cfg=None).
max_iters = 40000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=10.0),
                                    'auxiliary_head': dict(lr_mult=10.0)}))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='VerifiedCheckpointHook', by_epoch=False, interval=4000, max_keep_ckpts=3,
                    save_last=True,
                    # temp file + rename: a killed job never leaves a truncated checkpoint;
                    # old ones are deleted only after the new one verifies on disk
                    backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
