# IAST's adversarial warm-up (Mei et al., ECCV 2020) on VIPER -> Cityscapes-VPS, from the source-only
# model: output-space adversarial training with a least-squares GAN, as IAST's official config
# code/config/gtav2cityscapes_t4/run_task/warmup_at.yaml (the GTA5 one: VIPER is a game as well)
# with its code (sseg/models/segmentors/uda_segmentor.py, sseg/workflow/trainer.py). IAST's
# self-training (configs/iast/viper2cityscapes.py) starts from this model. docs/methods/iast.md
description = 'IAST warm-up: LSGAN output-space adversarial training with Adam 2e-5'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes.py',
    '../_base_/schedules/viper2cityscapes_adversarial.py', '../_base_/default_runtime.py'
]
# run_self_traing_3rounds.sh: the warm-up resumes from the source-only model.
load_from = 'configs/source_only/viper2cityscapes.py'
model = dict(
    type='AdaptSegNet',
    # DISCRIMINATOR.TYPE 'Origin-Predictor': an FC discriminator on the softmax maps (64-128-256-512)
    discriminator=dict(type='FCDiscriminator', widths=(64, 128, 256, 512)),
    lambda_adv=0.05,  # DISCRIMINATOR.WEIGHT [0.05] (GTA5 configs; SYNTHIA's is 0.001)
    gan_type='lsgan')  # DISCRIMINATOR.LOSS 'MSELoss'
max_iters = {{_base_.max_iters}}
optim_wrapper = dict(
    segmentor=dict(
        _delete_=True,
        type='OptimWrapper',
        # TRAIN.OPTIMIZER 'Adam', TRAIN.LR 2e-5; build_optimizer: betas (0.9, 0.999), weight
        # decay 5e-4, and the backbone at 0.1x the learning rate of the head.
        optimizer=dict(type='Adam', lr=2e-5, betas=(0.9, 0.999), weight_decay=5e-4),
        paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)})),
    # DISCRIMINATOR.LR [2e-5]; build_optimizer: Adam, betas (0.9, 0.999), no weight decay.
    discriminator=dict(optimizer=dict(lr=2e-5, betas=(0.9, 0.999))))
# SCHEDULER 'CosineAnnealingLR_with_Restart' with T_MAX = EPOCHES (4): one cosine over the whole
# warm-up, down to 0.001 x the learning rate (eta_min = LR * 0.001), for both optimizers.
param_scheduler = dict(
    _delete_=True,
    segmentor=[dict(type='CosineAnnealingLR', T_max=max_iters, eta_min_ratio=1e-3, begin=0,
                    end=max_iters, by_epoch=False)],
    discriminator=[dict(type='CosineAnnealingLR', T_max=max_iters, eta_min_ratio=1e-3, begin=0,
                        end=max_iters, by_epoch=False)])
