# SYNTHIA-Seq -> Cityscapes-Seq for self-training (CBST, CRST, IAST): as
# viper2cityscapes_seq_self_training.py with the 12 classes of this benchmark.
_base_ = ['./synthia2cityscapes_seq.py']
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
pseudo_label_scale = (1024, 512)
