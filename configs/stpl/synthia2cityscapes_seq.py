# STPL (Lo et al., CVPR 2023), OUR READING, source-free, on SYNTHIA-Seq -> Cityscapes-Seq, from this
# benchmark's source-only DeepLabv2 / ResNet-50 (no SYNTHIA-Seq data is read); target flow t -> t-1
# precomputed (synthia2cityscapes_seq_source_free_flow.py). The paper reports on this benchmark
# (unverified means only: configs/_base_/paper_results_source_free.py). docs/methods/stpl.md
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50_synthia_seq.py',
    '../_base_/datasets/synthia2cityscapes_seq_source_free_flow.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = ('STPL, our reading (source-free) on SYNTHIA-Seq -> Cityscapes-Seq: spatio-temporal pixel '
               'contrast')
load_from = 'configs/source_only/synthia2cityscapes_seq.py'
# Every value is our choice with its reason in docs/methods/stpl.md ("Every open choice"): the
# paper's method section and code could not be read.
model = dict(type='STPL', teacher='source', confidence_threshold=0.9, lambda_contrast=0.1,
             temperature=0.1, embed_channels=256, anchors_per_class=100, max_anchors=1024,
             past_frames=1, occlusion_check=True, ce_frames='all')
# No schedule of the paper could be read: the benchmark's DeepLabv2 recipe (SGD 2.5e-4, poly, 40k
# iterations, 10x lr on the classifier), the new projection head at 10x like the classifier
# (our choice; HCL trains its projection head at 10x too).
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'projector': dict(lr_mult=10.0)}))
