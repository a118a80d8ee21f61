# Source-free adaptation on Cityscapes-Seq (VIPER's 15 classes) with the target snippets' optical
# flow t -> t-1 (STPL). The same files as VST's (viper2cityscapes_seq_video_self_training.py),
# computed once at the training input size (docs/data.md, "Cityscapes-Seq benchmarks"):
#   python tools/data/cityscapes_seq.py compute_flow data/cityscapes --splits train
# An external flow estimator is allowed in source-free adaptation (docs/source_free.md): it sees
# target frames only.
_base_ = ['./viper2cityscapes_seq_source_free.py']
cityscapes_flow_root = 'flow/train'  # relative to data_root
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=False, interpolation='pil_bicubic'),
    # Any stored resolution, resized to the frames; backward only (STPL warps t - 1 onto t).
    dict(type='LoadResizedClipFlow'),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(target=dict(flow_root=cityscapes_flow_root, flow_format='toolbox',
                             pipeline=target_pipeline)))
