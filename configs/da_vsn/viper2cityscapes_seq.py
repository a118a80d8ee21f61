# DA-VSN (Guan et al., ICCV 2021) on VIPER -> Cityscapes-Seq, its own benchmark, with the
# multi-level DeepLabv2 / ResNet-50 in the two-frame flow-fusion segmentor (DA-VSN: ResNet-101, set
# model.segmentor.segmentor.backbone.depth=101). Recipe of davsn/domain_adaptation/config.py and
# train_video_UDA.py as configs/da_vsn/viper2cityscapes.py; data of their code
# (viper2cityscapes_seq_two_frame.py: flow t -> t-1, val items with t-1). docs/methods/da_vsn.md.
# The benchmark: configs/benchmarks/viper2cityscapes_seq.py (published 47.8, best on val).
_base_ = [
    '../_base_/models/two_frame_deeplabv2_r50.py',
    '../_base_/datasets/viper2cityscapes_seq_two_frame.py',
    '../_base_/schedules/da_vsn.py', '../_base_/default_runtime.py'
]
description = 'DA-VSN on VIPER -> Cityscapes-Seq: intra-domain TCR, spatial + spatio-temporal discriminators'
model = dict(
    type='DAVSN',
    segmentor=dict(warp='splat'),  # DA-VSN's forward nearest splat (after its 2021-09 fix)
    discriminator=dict(type='FCDiscriminator', widths=(64, 128, 256, 512)),  # ADVENT, 2C inputs
    lambda_seg_aux=0.1,  # LAMBDA_SEG_AUX
    lambda_target=0.001,  # lamda_u
    lambda_sa=1.0,  # lamda_sa
    lambda_wd=1.0,  # lamda_wd
    lambda_adv_aux_ratio=0.2,  # LAMBDA_ADV_AUX / LAMBDA_ADV_MAIN
    intra_tcr=True,
    disc_max_grad_norm=1.0,  # clip_grad_norm_(D, 1) for each discriminator
    gan_type='vanilla')
# DA-VSN labels the pair (t-1, t): its target snippets have no t-2.
train_dataloader = dict(dataset=dict(target=dict(frame_offsets=(-1, 0))))
