# VIPER (source) -> Cityscapes-VPS (target), Shin et al. (2021)'s benchmark (Sec. 5.1): the target
# side (viper2cityscapes_source_free.py) plus the VIPER source clips. Trees and preparation:
# docs/data.md. Sizes follow ADVENT/IAST for a GTA-like source -> Cityscapes: source frames resized
# to 1280x720, target frames to 1024x512, no crop; evaluation at 1024x512 with predictions
# upsampled to the 2048x1024 labels.
_base_ = ['./viper2cityscapes_source_free.py']
viper_root = 'data/viper'

# Labels: the 15-class PNGs written once by tools/data/viper.py convert (VIPER ids of
# classes.csv -> the 15 classes, pole from id 10 "infrastructure", ego vehicle ignored); the
# mapping table is VIPER_TO_CLASS (uda_toolbox/datasets/viper.py), documented in docs/data.md.
# labels='raw' reads the release's files and maps them on the fly instead.
# Day-only VIPER (Shin et al. (2021): 42,455 "day" frames): the condition of each sequence comes
# from data/viper/conditions.csv (no public file records it; docs/data.md), or list the
# sequences explicitly with viper_sequences = ['001', ...].
viper_condition = 'day'
viper_sequences = None
# Source frame size (w, h), a top-level name like target_scale (`--cfg-options
# source_scale="(256,144)"`, uda_toolbox.apis.config.expand_cfg_shortcuts).
source_scale = (1280, 720)  # AdaptSegNet / ADVENT's GTA5 input size (train_gta2cityscapes_multi.py)
# The VIPER variables above may be overridden on the command line (--cfg-options
# viper_root=/mnt/viper viper_sequences="[001,002]"): uda_toolbox.apis copies a new value into
# each key listed here that the config has (docs/get_started.md, "Overriding settings"); the
# Cityscapes ones are declared in viper2cityscapes_source_free.py (dicts merge through _base_).
# Overriding another variable is an error naming the key to set instead.
config_variables = dict(
    viper_root=['train_dataloader.dataset.source.data_root'],
    viper_condition=['train_dataloader.dataset.source.condition'],
    viper_sequences=['train_dataloader.dataset.source.sequences'])

source_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=source_scale, keep_ratio=True),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
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
    tau={{_base_.tau}},
    # Pairs (t - tau, t) whose frame t has a label (all of them when every frame is labelled).
    labelled_only=True,
    pipeline=source_pipeline)
# The target side leaves source=None (source-free); `_delete_` replaces that None.
train_dataloader = dict(dataset=dict(source=dict(_delete_=True, **source_train)))
