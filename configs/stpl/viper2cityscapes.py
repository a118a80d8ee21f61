# STPL (Lo et al., CVPR 2023), OUR READING, source-free, on Cityscapes-VPS from the VIPER
# source-only DeepLabv2 / ResNet-50 (no VIPER data is read); target flow precomputed
# (viper2cityscapes_source_free_flow.py). docs/methods/stpl.md
description = 'STPL, our reading (source-free): spatio-temporal pixel contrast + pseudo-label CE'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_source_free_flow.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
# The model to adapt: the latest checkpoint of the run of configs/source_only/viper2cityscapes.py
# (a config in load_from stands for its run); the benchmark passes its own (depends).
load_from = 'configs/source_only/viper2cityscapes.py'
model = dict(type='STPL', teacher='source', confidence_threshold=0.9, lambda_contrast=0.1,
             temperature=0.1, embed_channels=256, anchors_per_class=100, max_anchors=1024,
             past_frames=1, occlusion_check=True, ce_frames='all')
# No schedule of the paper could be read: the benchmark's DeepLabv2 recipe (SGD 2.5e-4, poly, 40k
# iterations, 10x lr on the classifier), the new projection head at 10x like the classifier
# (our choice; HCL trains its projection head at 10x too).
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'projector': dict(lr_mult=10.0)}))
