# The segmentor optimisation of DA-VSN and TPS (ADVENT's code, research/peers_davsn_tps.md
# section 2.5): SGD, momentum 0.9, weight decay 5e-4, poly decay with power 0.9 over
# MAX_ITERS = 250000 (training stops earlier, at EARLY_STOP, so the rate never nears 0), in
# three parameter groups: backbone at the poly rate, the fusion convolution at 10x that rate, the
# classifier heads at a CONSTANT 10x the base rate (adjust_learning_rate updates groups 0 and 1
# only). Set fixed_lr=False on the heads for a 10x poly rate instead.
_base_ = ['./viper2cityscapes.py']
poly_horizon = 250000  # MAX_ITERS of their config.py
three_lr_groups = dict(custom_keys={
    'fusion': dict(lr_mult=10.0),
    'decode_head': dict(lr_mult=10.0, fixed_lr=True),
    'auxiliary_head': dict(lr_mult=10.0, fixed_lr=True),
})
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=three_lr_groups)
# end = horizon + 1: mmengine's PolyLR reaches eta_min at end - 1, ADVENT's lr_poly at MAX_ITERS.
param_scheduler = [
    dict(type='PolyLRWithFixedGroups', eta_min=0.0, power=0.9, begin=0, end=poly_horizon + 1,
         by_epoch=False)
]
