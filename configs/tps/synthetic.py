# TPS (Xing et al., ECCV 2022) on the embedded pair: the two-frame flow-fusion segmentor with
# TPS's bilinear warp; cross-frame pseudo labels from (t-2, t-1) warped to t supervise the
# strongly augmented pair (t-1, t). docs/methods/tps.md
_base_ = [
    '../_base_/models/two_frame_tiny_deeplabv2.py', '../_base_/datasets/synthetic_two_frame.py',
    '../_base_/schedules/synthetic.py', '../_base_/default_runtime.py'
]
description = 'TPS: cross-frame pseudo labels on strongly augmented two-frame target clips'
model = dict(
    type='TPS',
    segmentor=dict(warp='bilinear'),  # TPS's Resample2d
    # lambda_T of tps_viper2city.yml (the pair stands for VIPER -> Cityscapes); the paper and
    # tps_syn2city.yml use 1.0.
    lambda_target=0.1,
    lambda_seg_aux=0.1,  # LAMBDA_SEG_AUX, also on the target term
    threshold=None,  # tau = 0: every argmax is a label (paper Table 4, code)
    label_warp='bilinear',
    histogram_matching=True,  # source matched to the target frame t (code, not in the paper)
    strong_aug_input='original',  # the code's ToPILImage of normalised BGR floats (docs)
    weak_flip='original',  # the code's flip with an unflipped flow (TPS #9; docs)
    blur_radii=(5, 7, 9),
    jitter=(0.8, 0.8, 0.8, 0.2),
    scale_range=(0.8, 1.2))
# The target clips are (t-2, t-1, t): the pseudo labels come from the pair before.
train_dataloader = dict(dataset=dict(target=dict(num_frames=3)))
