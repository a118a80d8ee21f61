# Schedule of the adversarial methods (AdaptSegNet, ADVENT, VAT) on the embedded pair: two
# optimizers, one per child module of the adaptor (MultiOptimWrapperConstructor).
# The segmentor keeps exactly the optimizer and iteration count of schedules/synthetic.py
# (Adam 1e-3 for the tiny model), so adversarial rows compare with source-only on equal terms.
_base_ = ['./synthetic.py']
max_iters = {{_base_.max_iters}}
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    segmentor={{_base_.optim_wrapper}},
    # The discriminator optimizer of AdaptSegNet and ADVENT (their code's defaults):
    # Adam, lr 1e-4, betas (0.9, 0.99), no weight decay.
    discriminator=dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))
# Poly decay with power 0.9 for both, as AdaptSegNet / ADVENT decay both learning rates.
param_scheduler = dict(
    _delete_=True,
    segmentor=[
        dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
    ],
    discriminator=[
        dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
    ])
