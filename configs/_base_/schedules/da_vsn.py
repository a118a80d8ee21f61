# DA-VSN's optimisation (davsn/domain_adaptation/config.py, train_video_UDA.py) on the two-frame
# schedule, shared by its real-data configs: the segmentor's SGD in ADVENT's three groups with
# gradient clipping, one Adam over the discriminators with their own poly decay, EARLY_STOP.
_base_ = ['./viper2cityscapes_two_frame.py']
max_iters = 120000  # EARLY_STOP
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    # LEARNING_RATE 2.5e-4 in ADVENT's three groups, clip_grad_norm_(model.parameters(), 1)
    segmentor=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
        paramwise_cfg={{_base_.three_lr_groups}},
        clip_grad=dict(max_norm=1.0)),
    # LEARNING_RATE_D 1e-4, Adam betas (0.9, 0.99), one per discriminator in the code (Adam is
    # per parameter, so one optimizer over the four is the same)
    discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))
param_scheduler = dict(
    _delete_=True,
    segmentor={{_base_.param_scheduler}},
    # adjust_learning_rate_discriminator: poly over the same 250k horizon
    discriminator=[dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=250001,
                        by_epoch=False)])
train_cfg = dict(max_iters=max_iters, val_interval=4000)
