# VAT (Shin et al. (2021) Sec. 4.3, Eq. 9) on the embedded pair: per-frame cross-entropy + tube matching
# loss on source clips of frames (t - tau, t), sequence discriminator on stacked softmax maps.
# Table 3 "Ours". docs/methods/vat.md
description = 'VAT (Table 3 Ours): sequence discriminator + tube Dice'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/synthetic_adversarial.py', '../_base_/default_runtime.py',
    '../_base_/models/tiny_discriminators.py'
]
model = dict(
    type='VAT',
    # The papers' widths / 8, as every embedded discriminator (_base_/models/tiny_discriminators.py).
    # First layer: 3D conv over the two frames, temporal stride 2 (Shin et al. (2021) Sec. 5.1; the defaults
    # temporal_kernel=2, temporal_stride=2). The Table 3 variants swap only the type.
    discriminator=dict(type='SequenceDiscriminator', widths={{_base_.embedded_discriminator_widths}}),
    lambda_adv=0.001,  # lambda_V: not given by Shin et al. (2021); AdaptSegNet/ADVENT's weight
    lambda_tube=1.0,  # Eq. 9 adds the tube loss unweighted
    dice='tube',
    dice_smooth=0.0,  # Eq. 7 (no smoothing); 1.0 is the common smoothing (an option)
    gan_type='vanilla')
