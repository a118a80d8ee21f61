# VIPER -> Cityscapes-VPS for self-training (CBST, CRST, IAST): the target training clips read
# their labels from the pseudo-label round the PseudoLabelHook published last
# (docs/pseudo_labels.md). '{work_dir}' is replaced by the run's work dir (tools/train.py).
_base_ = ['./viper2cityscapes.py']
pseudo_label_dir = '{work_dir}/pseudo_labels'
train_dataloader = dict(dataset=dict(target=dict(pseudo_label_dir=pseudo_label_dir)))
# Ground truth of the target training clips (6 annotated frames per clip), for P-mIoU
# (Shin et al. (2021) Table 7); analysis only.
target_train_labels = dict(
    type='CityscapesVPSDataset',
    data_root={{_base_.cityscapes_vps_root}},
    sequence_root={{_base_.cityscapes_sequence_root}},
    split='train',
    mode='test')
# The pseudo-label rounds see the target frames as training does (ClipResize to target_scale).
pseudo_label_scale = {{_base_.target_scale}}
