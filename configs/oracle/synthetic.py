# Oracle on the embedded pair: cross-entropy on the annotated target train frames.
description = 'Oracle: cross-entropy on the annotated target train frames'
_base_ = [
    '../_base_/models/tiny_deeplabv2.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/synthetic.py', '../_base_/default_runtime.py'
]
model = dict(type='Oracle')
train_dataloader = dict(
    dataset=dict(
        target=dict(
            data_prefix=dict(img_path='target/train/img', seg_map_path='target/train/cls'),
            labelled_only=True)))
