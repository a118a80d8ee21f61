# VIPER (source) -> Cityscapes-Seq (target): the benchmark of DA-VSN, TPS and DA-STC (15 classes:
# road ... bicycle, no pole). Protocol of their code (their dataset classes and eval_video_UDA.py;
# docs/data.md "Cityscapes-Seq benchmarks"):
# - source: the 13,367 VIPER train frames of the shipped list (every 10th frame) with frame t-1;
#   labels of t only, converted once to the 15 classes with the ego vehicle removed
#   (tools/data/viper_seq.py convert);
# - target: the 2975 Cityscapes-Seq train snippets (the gtFine frame t and t-1), unlabelled;
# - evaluation: mIoU on the annotated frame of each of the 500 val snippets, labels at full
#   2048x1024. VPQ^s is not defined here (one annotated frame per snippet): the evaluator does not
#   compute it.
# - sizes: VIPER 1920x1080 -> 1280x720, Cityscapes 2048x1024 -> 1024x512, PIL bicubic as the
#   originals (ADVENT base_dataset.py); no augmentation (DA-VSN has none).
viper_root = 'data/viper'
cityscapes_root = 'data/cityscapes'
# The roots may be overridden on the command line (--cfg-options cityscapes_root=/mnt/cityscapes):
# uda_toolbox.apis copies a new value into each key listed here that the config has
# (docs/get_started.md, "Overriding settings"). Overriding another variable is an error naming the
# key to set instead.
config_variables = dict(
    viper_root=['train_dataloader.dataset.source.data_root'],
    cityscapes_root=[
        'train_dataloader.dataset.target.data_root', 'val_dataloader.dataset.data_root',
        'test_dataloader.dataset.data_root', 'pseudo_labels.label_dataset.data_root'
    ])
class_set = 'viper'
# A sample is the listed frame t and t - 1 (DA-VSN; TPS' target adds t - 2: (-2, -1, 0)).
frame_offsets = (-1, 0)

source_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1280, 720), keep_ratio=False, interpolation='pil_bicubic'),
    dict(type='PackClipInputs'),
]
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),  # 255 maps, or the oracle's labels / pseudo labels
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=False, interpolation='pil_bicubic'),
    dict(type='PackClipInputs'),
]
test_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=False, interpolation='pil_bicubic'),
    # Labels are loaded after the resize so they keep their full resolution.
    dict(type='LoadClipAnnotations'),
    dict(type='PackFrameInputs'),
]
train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='UDADataset',
        source=dict(
            type='VIPERSeqDataset',
            data_root=viper_root,
            split='train',
            labels='converted',
            frame_offsets=frame_offsets,
            mode='train',
            pipeline=source_pipeline),
        target=dict(
            type='CityscapesSeqDataset',
            data_root=cityscapes_root,
            split='train',
            class_set=class_set,
            with_labels=False,  # UDA: unlabelled target snippets; the oracle sets True
            frame_offsets=frame_offsets,
            mode='train',
            pipeline=target_pipeline)))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CityscapesSeqDataset',
        data_root=cityscapes_root,
        split='val',
        class_set=class_set,
        frame_offsets=(0,),  # single-frame methods evaluate frame t alone
        mode='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# mIoU only: window_sizes=None leaves VPQ^s out (never reported as 0).
val_evaluator = dict(type='ClipSegMetric', window_sizes=None)
test_evaluator = val_evaluator
