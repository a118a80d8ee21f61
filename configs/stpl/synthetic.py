# STPL (Lo et al., CVPR 2023), OUR READING, on the embedded pair, source-free: the source-only
# model adapted with target clips and their optical flow only. The paper's method section and
# code were not available; docs/methods/stpl.md says which parts are the paper's and which are
# ours, and why each default below was chosen.
description = 'STPL, our reading (source-free): spatio-temporal pixel contrast + pseudo-label CE'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic_source_free_flow.py',
    '../_base_/schedules/synthetic_self_training.py', '../_base_/default_runtime.py'
]
# The model to adapt: the latest checkpoint of the run of configs/source_only/synthetic.py
# (a config in load_from stands for its run); the benchmark passes its own (depends).
load_from = 'configs/source_only/synthetic.py'
model = dict(type='STPL', teacher='source', confidence_threshold=0.9, lambda_contrast=0.1,
             temperature=0.1, embed_channels=256, anchors_per_class=100, max_anchors=1024,
             past_frames=1, occlusion_check=True, ce_frames='all')
