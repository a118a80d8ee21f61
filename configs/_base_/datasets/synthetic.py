# The embedded sim-to-real video pair (docs/data.md): source = simulation-like clips with
# labels on every frame; target = real-looking clips annotated every 5th frame, like
# Cityscapes-VPS (synthetic_source_free.py, the target side). Made by `make data`.
_base_ = ['./synthetic_source_free.py']
source_train = dict(
    type={{_base_.dataset_type}},
    data_root={{_base_.data_root}},
    data_prefix=dict(img_path='source/train/img', seg_map_path='source/train/cls'),
    mode='train',
    tau={{_base_.tau}},
    prepare_hint={{_base_.prepare_hint}},
    pipeline={{_base_.train_pipeline}})
# The target side leaves source=None (source-free); `_delete_` replaces that None.
train_dataloader = dict(dataset=dict(source=dict(_delete_=True, **source_train)))
