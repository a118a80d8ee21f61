# VIPER (source) -> Cityscapes-VPS (target), the seed paper's benchmark (Sec. 5.1).
# Trees and preparation: docs/data.md. Sizes follow ADVENT/IAST for a GTA-like source ->
# Cityscapes: source frames resized to 1280x720, target frames to 1024x512, no crop;
# evaluation at 1024x512 with predictions upsampled to the 2048x1024 labels.
viper_root = 'data/viper'
cityscapes_vps_root = 'data/cityscapes_vps'
cityscapes_sequence_root = 'data/cityscapes/leftImg8bit_sequence/val'
# The seed paper trains on 2 consecutive frames (t - tau, t), tau = 1.
tau = 1

# VIPER class ids (classes.csv of the VIPER toolkit) -> the 15 common classes; anything
# else is ignored. Pole comes from id 10 "infrastructure" (see docs/data.md).
viper_label_map = {
    3: 0, 4: 1, 9: 2, 11: 3, 10: 4, 13: 5, 14: 6, 7: 7, 8: 7, 6: 8, 2: 9, 20: 10, 24: 11,
    27: 12, 26: 13, 23: 14
}

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
    type='ClipDataset',
    data_root=viper_root,
    data_prefix=dict(img_path='train/img', seg_map_path='train/cls'),
    img_suffix='.jpg',
    label_map=viper_label_map,
    mode='train',
    tau=tau,
    prepare_hint='Prepare it as described in docs/data.md (tools/data/viper.py).',
    pipeline=source_pipeline)
target_train = dict(
    type='CityscapesVPSDataset',
    data_root=cityscapes_vps_root,
    sequence_root=cityscapes_sequence_root,
    split='train',
    mode='train',
    tau=tau,
    pipeline=target_pipeline)
target_val = dict(
    type='CityscapesVPSDataset',
    data_root=cityscapes_vps_root,
    split='val',
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
