# Source-free adaptation on Cityscapes-Seq (SYNTHIA-Seq's 12 classes) with the target snippets'
# optical flow t -> t-1 (STPL): the flow of viper2cityscapes_seq_source_free_flow.py (the same
# Cityscapes-Seq train snippets, the same files).
_base_ = ['./synthia2cityscapes_seq_source_free.py']
cityscapes_flow_root = 'flow/train'  # relative to data_root
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=False, interpolation='pil_bicubic'),
    dict(type='LoadResizedClipFlow'),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(target=dict(flow_root=cityscapes_flow_root, flow_format='toolbox',
                             pipeline=target_pipeline)))
