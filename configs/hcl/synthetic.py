# HCL (Huang et al., NeurIPS 2021) on the embedded pair, source-free: the source-only model
# adapted with target clips only. docs/methods/hcl.md, docs/source_free.md
description = 'HCL (source-free): historical contrastive instance + category discrimination'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic_source_free.py',
    '../_base_/schedules/synthetic_self_training.py', '../_base_/default_runtime.py'
]
# The model to adapt: the latest checkpoint of the run of configs/source_only/synthetic.py
# (a config in load_from stands for its run); the benchmark passes its own (depends).
load_from = 'configs/source_only/synthetic.py'
# HCL's official run (README; hcl_target/trainer_hcl.py, utils/loss.py): lambda_seg 0.5 for the
# auxiliary level and the contrast, temperature 0.07, G_ma momentum 0.996, historical models
# reset every 120 iterations (more than this 80-iteration schedule: they stay the source model
# and its EMA here), class balance with max value 7, student view rescaled by 0.8-1.2, labels
# from scales 1.0 / 1.25 with flips.
model = dict(type='HCL', lambda_seg_aux=0.5, lambda_contrast=0.5, temperature=0.07,
             base_temperature=0.07, ema_momentum=0.996, history_interval=120, embed_channels=128,
             class_balance=True, often_balance=True, max_class_weight=7.0,
             small_class_fraction=1 / 32, view_scale=(0.8, 1.2), label_scales=(1.0, 1.25),
             label_flip=True)
# history_interval counts iterations: a shorter run (max_iters=N) scales it too (apis.schedule).
schedule_keys = ['model.history_interval']
