# URMA (Sivaprasad & Fleuret, CVPR 2021) on the embedded pair, source-free: the source-only model
# adapted with target clips only. docs/methods/urma.md, docs/source_free.md
description = 'URMA (source-free): class-balanced labels, entropy, noisy-decoder consistency'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic_source_free.py',
    '../_base_/schedules/synthetic_self_training.py', '../_base_/default_runtime.py'
]
# The model to adapt: the latest checkpoint of the run of configs/source_only/synthetic.py
# (a config in load_from stands for its run); the benchmark passes its own (depends).
load_from = 'configs/source_only/synthetic.py'
# Official run (README): --lambda-ce 1 --lambda-ent 1 --unc-noise (4 decoders, dropout 0.5,
# --lambda-unc 0.1) --freeze-classifier; lambda-div 0 (its default).
model = dict(type='URMA', lambda_ce=1.0, lambda_ent=1.0, lambda_div=0.0, lambda_unc=0.1,
             num_decoders=4, dropout=0.5, freeze_classifier=True)
# The pseudo labels: one class-balanced round (CBST's rule, p = 0.2: --init-tgt-port,
# --num-rounds 1) of the source model's flip-averaged predictions (generate_pseudo_labels.py),
# made from target frames only before the first iteration (docs/pseudo_labels.md).
pseudo_label_dir = '{work_dir}/pseudo_labels'
# Batches are loaded in the training process, as for the self-training methods
# (_base_/datasets/synthetic_self_training.py): runs repeat exactly after a round.
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(target=dict(pseudo_label_dir=pseudo_label_dir)))
pseudo_labels = dict(
    policy=dict(type='ClassBalancedPolicy', portion=0.2, portion_step=0.0, max_portion=0.2),
    interval={{_base_.max_iters}},
    max_rounds=1,
    flip=True)
