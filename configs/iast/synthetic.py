# IAST (Mei et al., ECCV 2020) on the embedded pair (Shin et al. (2021) Table 1 "A+S"): adversarial warm-up
# (the AdaptSegNet model), then self-training on instance-adaptive pseudo labels (Shin et al. (2021) Eq. 4) with
# IAST's regulariser. docs/methods/iast.md
description = 'IAST: instance-adaptive self-training with its regulariser, from the adversarial warm-up'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic_self_training.py',
    '../_base_/schedules/synthetic_self_training.py', '../_base_/default_runtime.py'
]
load_from = 'configs/adaptsegnet/synthetic.py'
model = dict(
    type='IAST',
    lambda_seg_s=0.0,  # IAST's self-training stage: SOURCE_LOSS_WEIGHT 0
    lambda_seg_t=1.0,
    lambda_reg=1.0,
    ent_weight=3.0,  # IAST: LAMBDA_ENTROPY_WEIGHT
    kld_weight=0.1)  # IAST: LAMBDA_KLDREG_WEIGHT
pseudo_labels = dict(
    # IAST's official configs (sl_{1,2,3}.yaml): PSEUDO_PL_ALPHA 0.2, 0.25, 0.3 in its three
    # rounds, PSEUDO_PL_GAMMA 8.0, beta 0.9, theta_0 0.9 at the start of every round (each round
    # is a new run of its main.py).
    policy=dict(type='InstanceAdaptivePolicy', alpha=0.2, alpha_step=0.05, max_alpha=0.3,
                beta=0.9, gamma=8.0, init_threshold=0.9, reset_each_round=True),
    instance=2,  # IAST's PSEUDO_BATCH_SIZE 2: thresholds adapt per batch of 2 images (frames)
    interval={{_base_.round_interval}},
    label_dataset={{_base_.target_train_labels}})
