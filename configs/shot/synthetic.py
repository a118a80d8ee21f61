# SHOT (Liang et al., ICML 2020) per pixel on the embedded pair, source-free: the source-only
# model adapted with target clips only (information maximisation + cluster pseudo labels, the
# classifier frozen). docs/methods/shot.md, docs/source_free.md
description = 'SHOT (source-free): per-pixel information maximisation + cluster pseudo labels'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic_source_free.py',
    '../_base_/schedules/synthetic_self_training.py', '../_base_/default_runtime.py'
]
# The model to adapt: source-only's latest checkpoint (train configs/source_only/synthetic.py
# first; the benchmark passes its own run's with depends='Source-only'). The second-phase
# schedule of the self-training methods (200 iterations, the same optimizer as the warm-up).
load_from = 'configs/source_only/synthetic.py'
# SHOT's defaults (object/image_target.py): ent_par 1.0, gent on, cls_par 0.3, epsilon 1e-5,
# threshold 0, cosine distance, two centroid rounds.
model = dict(type='SHOT', lambda_ent=1.0, lambda_div=1.0, lambda_pseudo=0.3, eps=1e-5,
             cluster_threshold=0, cluster_iterations=2, freeze_classifier=True)
