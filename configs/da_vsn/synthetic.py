# DA-VSN (Guan et al., ICCV 2021) on the embedded pair: the two-frame flow-fusion segmentor with
# DA-VSN's forward splat, intra-domain TCR and cross-domain TCR (a spatio-temporal and a spatial
# discriminator per level, weight discrepancy). docs/methods/da_vsn.md
_base_ = [
    '../_base_/models/two_frame_tiny_deeplabv2.py', '../_base_/datasets/synthetic_two_frame.py',
    '../_base_/schedules/synthetic_adversarial.py', '../_base_/default_runtime.py',
    '../_base_/models/tiny_discriminators.py'
]
description = 'DA-VSN: two-frame segmentor, intra-domain TCR and spatial + spatio-temporal discriminators'
model = dict(
    type='DAVSN',
    segmentor=dict(warp='splat'),  # DA-VSN's forward nearest splat with its hole mask
    # The originals' widths / 8, as every embedded discriminator (_base_/models/tiny_discriminators.py);
    # in_channels is 2C (the stacked scores of two frames).
    discriminator=dict(type='FCDiscriminator', widths={{_base_.embedded_discriminator_widths}}),
    lambda_seg_aux=0.1,  # LAMBDA_SEG_AUX
    lambda_target=0.001,  # lamda_u, every target term
    lambda_sa=1.0,  # lamda_sa
    lambda_wd=1.0,  # lamda_wd
    lambda_adv_aux_ratio=0.2,  # LAMBDA_ADV_AUX / LAMBDA_ADV_MAIN = 0.0002 / 0.001
    intra_tcr=True,
    disc_max_grad_norm=1.0,  # clip_grad_norm_(D, 1) per discriminator
    gan_type='vanilla')
# The segmentor's optimizer of the embedded rows (Adam 1e-3, schedules/synthetic.py) with
# DA-VSN's clip_grad_norm_(model.parameters(), 1).
optim_wrapper = dict(segmentor=dict(clip_grad=dict(max_norm=1.0)))
