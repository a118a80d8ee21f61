# VIPER (source) -> Cityscapes-VPS (target), Shin et al. (2021)'s benchmark (Sec. 5.1).
# Trees and preparation: docs/data.md. Sizes follow ADVENT/IAST for a GTA-like source ->
# Cityscapes: source frames resized to 1280x720, target frames to 1024x512, no crop;
# evaluation at 1024x512 with predictions upsampled to the 2048x1024 labels.
viper_root = 'data/viper'
cityscapes_vps_root = 'data/cityscapes_vps'
cityscapes_sequence_root = 'data/cityscapes/leftImg8bit_sequence/val'
# Shin et al. (2021) trains on 2 consecutive frames (t - tau, t), tau = 1.
tau = 1

# Labels: the 15-class PNGs written once by tools/data/viper.py convert (VIPER ids of
# classes.csv -> the 15 classes, pole from id 10 "infrastructure", ego vehicle ignored) and
# tools/data/cityscapes_vps.py convert (Cityscapes trainIds -> the 15 classes); the
# mapping tables are VIPER_TO_CLASS (uda_toolbox/datasets/viper.py) and cityscapes_label_map
# (uda_toolbox/datasets/cityscapes_vps.py), documented in docs/data.md. labels='raw' reads
# the release's files and maps them on the fly instead.
# Day-only VIPER (Shin et al. (2021): 42,455 "day" frames): the condition of each sequence comes
# from data/viper/conditions.csv (no public file records it; docs/data.md), or list the
# sequences explicitly with viper_sequences = ['001', ...].
viper_condition = 'day'
viper_sequences = None
# The variables above may be overridden on the command line (--cfg-options viper_root=/mnt/viper
# viper_sequences="[001,002]"): uda_toolbox.apis copies a new value into each key listed here
# that the config has (docs/get_started.md, "Overriding settings"). Overriding another variable
# is an error naming the key to set instead.
config_variables = dict(
    viper_root=['train_dataloader.dataset.source.data_root'],
    viper_condition=['train_dataloader.dataset.source.condition'],
    viper_sequences=['train_dataloader.dataset.source.sequences'],
    cityscapes_vps_root=[
        'train_dataloader.dataset.target.data_root', 'val_dataloader.dataset.data_root',
        'test_dataloader.dataset.data_root', 'pseudo_labels.label_dataset.data_root'
    ],
    cityscapes_sequence_root=[
        'train_dataloader.dataset.target.sequence_root', 'pseudo_labels.label_dataset.sequence_root'
    ])

source_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1280, 720), keep_ratio=True),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=True),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
test_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=True),
    # Labels are loaded after the resize so they keep their full resolution.
    dict(type='LoadClipAnnotations'),
    dict(type='PackFrameInputs'),
]
source_train = dict(
    type='VIPERDataset',
    data_root=viper_root,
    split='train',
    labels='converted',
    condition=viper_condition,
    conditions_file='conditions.csv',
    sequences=viper_sequences,
    mode='train',
    tau=tau,
    # Pairs (t - tau, t) whose frame t has a label (all of them when every frame is labelled).
    labelled_only=True,
    pipeline=source_pipeline)
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
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='UDADataset', source=source_train, target=target_train))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val)
test_dataloader = val_dataloader
val_evaluator = dict(type='ClipSegMetric', window_sizes=(0, 5, 10, 15), frame_interval=5)
test_evaluator = val_evaluator
