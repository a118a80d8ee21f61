# AdaBN (Li et al.) on the embedded pair: the source-only model with every BatchNorm layer's
# statistics re-estimated on target train frames; no gradient step. docs/methods/adabn.md
description = 'AdaBN: source-only model, BatchNorm statistics re-estimated on target frames'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/synthetic.py', '../_base_/default_runtime.py'
]
model = dict(type='AdaBN')
# The model to adapt: source-only's latest checkpoint (train configs/source_only/synthetic.py
# first; a config in load_from stands for its run; the benchmark passes its own run with
# depends='Source-only').
load_from = 'configs/source_only/synthetic.py'
# 40 target batches (2 clips x 2 frames each) averaged with BatchNorm momentum=None; our
# choice: the first wave's 100 batches of 4 clips scaled as every count of the embedded schedule.
max_iters = 40
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = []  # no optimizer step, nothing to schedule
default_hooks = dict(checkpoint=dict(interval=max_iters),
                     logger=dict(interval=20))
