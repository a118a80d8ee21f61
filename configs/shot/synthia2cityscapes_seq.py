# SHOT (Liang et al., ICML 2020) per pixel, source-free, on SYNTHIA-Seq -> Cityscapes-Seq, from this
# benchmark's source-only DeepLabv2 / ResNet-50 (no SYNTHIA-Seq data is read); the settings of
# configs/shot/viper2cityscapes.py. docs/methods/shot.md
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
_base_ = [
    '../_base_/models/deeplabv2_r50_synthia_seq.py',
    '../_base_/datasets/synthia2cityscapes_seq_source_free.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'SHOT (source-free) on SYNTHIA-Seq -> Cityscapes-Seq: information maximisation + cluster labels'
load_from = 'configs/source_only/synthia2cityscapes_seq.py'
# SHOT's train_target (official code): ent_par, gent, cls_par, epsilon, threshold, obtain_label's
# two clustering passes, netC frozen.
model = dict(type='SHOT', lambda_ent=1.0, lambda_div=1.0, lambda_pseudo=0.3, eps=1e-5,
             cluster_threshold=0, cluster_iterations=2, freeze_classifier=True)
# The benchmark's segmentor schedule (SGD 2.5e-4, poly, 40k iterations of one snippet): SHOT's own
# (SGD 1e-2 with 0.1x on the backbone, 15 epochs) is for ImageNet-size classification.
