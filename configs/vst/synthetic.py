# VST, Shin et al. (2021)'s video self-training (Sec. 4.4, Algorithm 1), on the embedded pair: starts
# from the VAT model (Table 1 "Ours (VAT+VST)"); clip-adaptive pseudo labels (Eq. 11) on temporally
# aggregated predictions (Eq. 10), online cut-out refinement (Eq. 12), IAST's regulariser (Eq. 13).
# Table 4 row "+Temporal Refinement" and Table 6 "Base+cut-out". docs/methods/vst.md
description = 'VST: clip-adaptive labels on aggregated predictions, regulariser, cut-out refinement'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic_video_self_training.py',
    '../_base_/schedules/synthetic_self_training.py', '../_base_/default_runtime.py'
]
load_from = 'configs/vat/synthetic.py'
model = dict(
    type='VST',
    refine='cutout',  # Eq. 12 ('fillin': Eq. 14, None: no refinement)
    lambda_seg_s=0.0,  # Eq. 13 has no source term
    lambda_seg_t=1.0,
    lambda_reg=1.0,  # IAST's regulariser, with IAST's weights
    ent_weight=3.0,
    kld_weight=0.1)
pseudo_labels = dict(
    # Eq. 11 = IAST's rule with the clip as the instance; IAST's alpha, beta, gamma (Shin et al.
    # (2021) give theta_0 = 0.9 and no values for the others).
    policy=dict(type='ClipAdaptivePolicy', alpha=0.2, beta=0.9, gamma=8.0, init_threshold=0.9),
    instance='clip',
    aggregate=dict(),  # Eq. 10 with the defaults: alpha 4.0 (ours), th 0.7 (Sec. 5.1)
    flow='files',  # the pair's exact flow; or dict(type='OpenCVDISFlow')
    interval={{_base_.round_interval}},
    label_dataset={{_base_.target_train_labels}})
