# SHOT (Liang et al., ICML 2020) per pixel, source-free, on Cityscapes-VPS from the VIPER
# source-only DeepLabv2 / ResNet-50 (no VIPER data is read). docs/methods/shot.md
description = 'SHOT (source-free): per-pixel information maximisation + cluster pseudo labels'
_base_ = [
    '../_base_/models/deeplabv2_r50.py', '../_base_/datasets/viper2cityscapes_source_free.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
load_from = 'configs/source_only/viper2cityscapes.py'
model = dict(type='SHOT', lambda_ent=1.0, lambda_div=1.0, lambda_pseudo=0.3, eps=1e-5,
             cluster_threshold=0, cluster_iterations=2, freeze_classifier=True)
# The benchmark's segmentor schedule (SGD 2.5e-4, poly, 40k iterations of one clip): SHOT's own
# (SGD 1e-2 with 0.1x on the backbone, 15 epochs) is for ImageNet-size classification.
