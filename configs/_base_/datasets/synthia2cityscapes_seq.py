# SYNTHIA-Seq (source) -> Cityscapes-Seq (target): the benchmark of DA-VSN, TPS and DA-STC (12
# classes trained, 11 reported: fence is left out after the IoUs are computed). As
# viper2cityscapes_seq.py except (their dataset classes and eval_video_UDA.py; docs/data.md):
# - source: SEQS-04-DAWN, frames 000001..000849 of the shipped list with frame t-1; labels of t,
#   converted once to the 12 classes (tools/data/synthia_seq.py convert); frames read at
#   1280x760 and cut to 1280x640 (the bottom 120 rows go), as davsn/dataset/SynthiaSeq.py;
# - target and evaluation labels: Cityscapes labelIds mapped to the 12 classes (rider is a class).
_base_ = ['./viper2cityscapes_seq.py']
synthia_root = 'data/SynthiaSeq/SEQS-04-DAWN'
# --cfg-options synthia_root=DIR / cityscapes_root=DIR (docs/get_started.md, "Overriding
# settings"); declared anew (_delete_) because the source here is SYNTHIA, not viper_root.
config_variables = dict(
    _delete_=True,
    synthia_root=['train_dataloader.dataset.source.data_root'],
    cityscapes_root=[
        'train_dataloader.dataset.target.data_root', 'val_dataloader.dataset.data_root',
        'test_dataloader.dataset.data_root', 'pseudo_labels.label_dataset.data_root'
    ])
class_set = 'synthia'
synthia_source_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    # train.py of DA-VSN / TPS loads SYNTHIA at its native 1280x760 (a no-op resize), then cuts.
    dict(type='ClipResize', scale=(1280, 760), keep_ratio=False, interpolation='pil_bicubic'),
    dict(type='ClipCropMargins', bottom=120),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(
        source=dict(
            _delete_=True,
            type='SynthiaSeqDataset',
            data_root=synthia_root,
            labels='converted',
            frame_offsets={{_base_.frame_offsets}},
            mode='train',
            pipeline=synthia_source_pipeline),
        target=dict(class_set=class_set)))
val_dataloader = dict(dataset=dict(class_set=class_set))
test_dataloader = val_dataloader
# DA-VSN eval_video_UDA.py: the 12-class IoUs are computed, then fence is removed (DA-VSN #4).
val_evaluator = dict(type='ClipSegMetric', window_sizes=None, unreported_classes=('fence',))
test_evaluator = val_evaluator
