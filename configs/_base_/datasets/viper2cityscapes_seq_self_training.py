# VIPER -> Cityscapes-Seq for self-training (CBST, CRST, IAST): the target snippets read their
# labels from the pseudo-label round the PseudoLabelHook published last (docs/pseudo_labels.md).
# '{work_dir}' is replaced by the run's work dir (tools/train.py).
_base_ = ['./viper2cityscapes_seq.py']
pseudo_label_dir = '{work_dir}/pseudo_labels'
train_dataloader = dict(dataset=dict(target=dict(pseudo_label_dir=pseudo_label_dir)))
# Ground truth of the target training snippets (gtFine of frame t), for P-mIoU; analysis only.
target_train_labels = dict(
    type='CityscapesSeqDataset',
    data_root={{_base_.cityscapes_root}},
    split='train',
    class_set={{_base_.class_set}},
    frame_offsets=(0,),
    mode='test')
# The pseudo-label rounds see the target frames as training does (1024x512).
pseudo_label_scale = (1024, 512)
