# The target side of the embedded sim-to-real video pair (docs/data.md): real-looking clips
# annotated every 5th frame, like Cityscapes-VPS. On its own it is the dataset of source-free
# adaptation (docs/source_free.md): the training dataset is UDADataset(source=None), which yields
# target clips only, and nothing here names source data. synthetic.py adds the labelled source
# clips for UDA. Version 2 of the pair (docs/data.md, "Embedded pair v2"), made by `make data` or
# python tools/data/generate_synthetic.py --generator-version 2 --out data/synthetic_v2
# (version 1: --cfg-options data_root=data/synthetic, with its budget: `make demo GENERATOR=1`).
dataset_type = 'ClipDataset'
data_root = 'data/synthetic_v2'
prepare_hint = ('Generate it with: make data (or python tools/data/generate_synthetic.py '
                '--generator-version 2 --out data/synthetic_v2)')
# --cfg-options data_root=DIR reaches every dataset: uda_toolbox.apis copies a new value into each
# key listed here that the config has (docs/get_started.md, "Overriding settings"); synthetic.py
# and the self-training bases inherit the declaration.
config_variables = dict(data_root=[
    'train_dataloader.dataset.source.data_root', 'train_dataloader.dataset.target.data_root',
    'val_dataloader.dataset.data_root', 'test_dataloader.dataset.data_root',
    'pseudo_labels.label_dataset.data_root'
])
crop_size = (64, 128)
# Shin et al. (2021) trains on 2 consecutive frames (t - tau, t) with tau = 1 (Sec. 5.1).
tau = 1

train_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
test_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='PackFrameInputs'),
]
target_train = dict(
    type=dataset_type,
    data_root=data_root,
    # Target labels are read only by the oracle (and pseudo-label diagnostics); the
    # UDA methods see target frames without labels (seg_map_path=None).
    data_prefix=dict(img_path='target/train/img', seg_map_path=None),
    mode='train',
    tau=tau,
    prepare_hint=prepare_hint,
    pipeline=train_pipeline)
target_val = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix=dict(img_path='target/val/img', seg_map_path='target/val/cls'),
    mode='test',
    prepare_hint=prepare_hint,
    pipeline=test_pipeline)

# 2 clips per domain and iteration (4 in the first wave): the budget of
# schedules/synthetic.py.
train_dataloader = dict(
    batch_size=2,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='UDADataset', source=None, target=target_train))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val)
test_dataloader = val_dataloader
# VPQ^s windows k = 0, 5, 10, 15 frames; the pair is annotated every 5th frame.
val_evaluator = dict(type='ClipSegMetric', window_sizes=(0, 5, 10, 15), frame_interval=5)
test_evaluator = val_evaluator
