# Schedule of the adversarial methods (AdaptSegNet, ADVENT, VAT) on VIPER -> Cityscapes-VPS:
# two optimizers, one per child module of the adaptor (MultiOptimWrapperConstructor).
_base_ = ['./viper2cityscapes.py']
max_iters = {{_base_.max_iters}}
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    # The segmentor's optimizer of schedules/viper2cityscapes.py (AdaptSegNet / ADVENT: SGD,
    # lr 2.5e-4, momentum 0.9, weight decay 5e-4, 10x on the classifiers).
    segmentor={{_base_.optim_wrapper}},
    # The discriminator optimizer of AdaptSegNet and ADVENT (their code's defaults):
    # Adam, lr 1e-4, betas (0.9, 0.99), no weight decay.
    discriminator=dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))
# Poly decay with power 0.9 for both learning rates, as AdaptSegNet and ADVENT.
param_scheduler = dict(
    _delete_=True,
    segmentor=[
        dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
    ],
    discriminator=[
        dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
    ])
