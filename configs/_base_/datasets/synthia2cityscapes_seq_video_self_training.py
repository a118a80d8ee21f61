# SYNTHIA-Seq -> Cityscapes-Seq for video self-training (VST): the target flow of
# viper2cityscapes_seq_video_self_training.py (same Cityscapes-Seq train snippets, same files).
_base_ = ['./synthia2cityscapes_seq_self_training.py']
cityscapes_flow_root = 'flow/train'  # relative to data_root
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=False, interpolation='pil_bicubic'),
    dict(type='LoadResizedClipFlow', with_forward=True),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(target=dict(flow_root=cityscapes_flow_root, flow_format='toolbox',
                             pipeline=target_pipeline)))
