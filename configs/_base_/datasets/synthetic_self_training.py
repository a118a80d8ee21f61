# The embedded pair for self-training (CBST, CRST, IAST): the target training clips read their
# labels from the pseudo-label round the PseudoLabelHook published last (docs/pseudo_labels.md).
# '{work_dir}' is replaced by the run's work dir (tools/train.py).
_base_ = ['./synthetic.py']
pseudo_label_dir = '{work_dir}/pseudo_labels'
# Batches are loaded in the training process (no workers): a worker loads up to two batches
# ahead, so the batches right after a pseudo-label round could carry the previous round's labels
# depending on timing, and runs would not repeat exactly (docs/troubleshooting.md, "Known
# limits"). Loading costs about 5-10% of a step here.
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(target=dict(pseudo_label_dir=pseudo_label_dir)))
# Ground truth of the target *training* clips (every 5th frame), for the pseudo labels' P-mIoU
# (Shin et al. (2021) Table 7). Analysis only: the hook logs it, nothing trains on it.
target_train_labels = dict(
    type='ClipDataset',
    data_root={{_base_.data_root}},
    data_prefix=dict(img_path='target/train/img', seg_map_path='target/train/cls'),
    mode='test',
    prepare_hint={{_base_.prepare_hint}})
