# VST (Shin et al. (2021) Sec. 4.4, Algorithm 1), from the VAT model:
# clip-adaptive labels (Eq. 11) on aggregated predictions (Eq. 10), cut-out refinement (Eq. 12),
# IAST's regulariser (Eq. 13); a clip is one snippet (t - 1, t), on SYNTHIA-Seq -> Cityscapes-Seq.
# The DA-VSN / TPS benchmark: configs/benchmarks/synthia2cityscapes_seq.py; docs/data.md (Cityscapes-Seq).
# Shin et al. (2021) publishes no result on this benchmark. docs/methods/vst.md
_base_ = [
    '../_base_/models/deeplabv2_r50_synthia_seq.py',
    '../_base_/datasets/synthia2cityscapes_seq_video_self_training.py',
    '../_base_/schedules/viper2cityscapes.py', '../_base_/default_runtime.py'
]
description = 'VST on SYNTHIA-Seq -> Cityscapes-Seq'
load_from = 'configs/vat/synthia2cityscapes_seq.py'
model = dict(type='VST', refine='cutout', lambda_seg_s=0.0, lambda_seg_t=1.0, lambda_reg=1.0,
             ent_weight=3.0, kld_weight=0.1)
pseudo_labels = dict(
    policy=dict(type='ClipAdaptivePolicy', alpha=0.2, beta=0.9, gamma=8.0, init_threshold=0.9),
    instance='clip',
    aggregate=dict(),
    flow='files',  # flow/train of Cityscapes-Seq (see the dataset config)
    interval=10000,
    scale={{_base_.pseudo_label_scale}},
    keep_rounds=2,
    label_dataset={{_base_.target_train_labels}})
