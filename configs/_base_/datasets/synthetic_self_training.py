# The embedded pair for self-training (CBST, CRST, IAST): the target training clips read their
# labels from the pseudo-label round the PseudoLabelHook published last (docs/pseudo_labels.md).
# '{work_dir}' is replaced by the run's work dir (tools/train.py).
_base_ = ['./synthetic.py']
pseudo_label_dir = '{work_dir}/pseudo_labels'
train_dataloader = dict(dataset=dict(target=dict(pseudo_label_dir=pseudo_label_dir)))
# Ground truth of the target *training* clips (every 5th frame), for the pseudo labels' P-mIoU
# (seed Table 7). Analysis only: the hook logs it, nothing trains on it.
target_train_labels = dict(
    type='ClipDataset',
    data_root={{_base_.data_root}},
    data_prefix=dict(img_path='target/train/img', seg_map_path='target/train/cls'),
    mode='test',
    prepare_hint={{_base_.prepare_hint}})
