# The target side of VIPER -> Cityscapes-VPS, Shin et al. (2021)'s benchmark (Sec. 5.1): on its
# own it is the dataset of source-free adaptation (docs/source_free.md), whose training dataset is
# UDADataset(source=None) and which names no VIPER data; the VIPER-trained model comes in through
# load_from. viper2cityscapes.py adds the VIPER source clips for UDA. Trees and preparation:
# docs/data.md. Target frames are resized to 1024x512 as in ADVENT/IAST, no crop; evaluation at
# 1024x512 with predictions upsampled to the 2048x1024 labels.
cityscapes_vps_root = 'data/cityscapes_vps'
cityscapes_sequence_root = 'data/cityscapes/leftImg8bit_sequence/val'
# The roots may be overridden on the command line (--cfg-options cityscapes_vps_root=/mnt/vps):
# uda_toolbox.apis copies a new value into each key listed here that the config has
# (docs/get_started.md, "Overriding settings"); viper2cityscapes.py adds the VIPER variables.
# Overriding another variable is an error naming the key to set instead.
config_variables = dict(
    cityscapes_vps_root=[
        'train_dataloader.dataset.target.data_root', 'val_dataloader.dataset.data_root',
        'test_dataloader.dataset.data_root', 'pseudo_labels.label_dataset.data_root'
    ],
    cityscapes_sequence_root=[
        'train_dataloader.dataset.target.sequence_root', 'pseudo_labels.label_dataset.sequence_root'
    ])
# Shin et al. (2021) trains on 2 consecutive frames (t - tau, t), tau = 1.
tau = 1

# Labels: the 15-class PNGs written once by tools/data/cityscapes_vps.py convert (Cityscapes
# trainIds -> the 15 classes); the mapping table is cityscapes_label_map
# (uda_toolbox/datasets/cityscapes_vps.py), documented in docs/data.md. labels='raw' reads the
# release's files and maps them on the fly instead.
# Frame size (w, h) of the resizes below and the dataloader workers, as top-level names so that a
# smoke run can shrink them: `--cfg-options target_scale="(256,128)" num_workers=0` also sets
# every ClipResize, pseudo-label round and dataloader that uses them
# (uda_toolbox.apis.config.expand_cfg_shortcuts; mmengine alone would change only these names).
target_scale = (1024, 512)  # AdaptSegNet / ADVENT's Cityscapes input size, training and evaluation
num_workers = 4

target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=target_scale, keep_ratio=True),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
test_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='ClipResize', scale=target_scale, keep_ratio=True),
    # Labels are loaded after the resize so they keep their full resolution.
    dict(type='LoadClipAnnotations'),
    dict(type='PackFrameInputs'),
]
target_train = dict(
    type='CityscapesVPSDataset',
    data_root=cityscapes_vps_root,
    sequence_root=cityscapes_sequence_root,
    split='train',
    labels='converted',
    mode='train',
    tau=tau,
    with_labels=False,  # UDA: unlabelled target clips; the oracle sets True
    pipeline=target_pipeline)
target_val = dict(
    type='CityscapesVPSDataset',
    data_root=cityscapes_vps_root,
    split='val',
    labels='converted',
    mode='test',
    pipeline=test_pipeline)

train_dataloader = dict(
    batch_size=1,
    num_workers=num_workers,
    persistent_workers=num_workers > 0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='UDADataset', source=None, target=target_train))
val_dataloader = dict(
    batch_size=1,
    num_workers=num_workers,
    persistent_workers=num_workers > 0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val)
test_dataloader = val_dataloader
val_evaluator = dict(type='ClipSegMetric', window_sizes=(0, 5, 10, 15), frame_interval=5)
test_evaluator = val_evaluator
