# AdaBN (Li et al.): source-only with BatchNorm statistics re-estimated on the
# target train snippets, on SYNTHIA-Seq -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50_synthia_seq.py', '../_base_/datasets/synthia2cityscapes_seq.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'AdaBN on SYNTHIA-Seq -> Cityscapes-Seq'
model = dict(type='AdaBN')
# The model to adapt: the latest checkpoint of the run of configs/source_only/synthia2cityscapes_seq.py.
load_from = 'configs/source_only/synthia2cityscapes_seq.py'
# 2000 target snippets of 2 frames, averaged with BatchNorm momentum=None (our choice; AdaBN
# averages over the whole target set).
max_iters = 2000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = []  # no optimizer step, nothing to schedule
default_hooks = dict(checkpoint=dict(interval=max_iters))
