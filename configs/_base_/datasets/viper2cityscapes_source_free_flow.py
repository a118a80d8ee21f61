# Source-free adaptation on Cityscapes-VPS with the target clips' optical flow (STPL). Precompute
# it once, at the frames' full size (docs/data.md):
#   python tools/data/compute_flow.py data/cityscapes_vps/train \
#       --sequence-root data/cityscapes/leftImg8bit_sequence/val
# which writes <data_root>/train/flow/VVVV/VVVV_FFFFF_{bw,fw}.npy. An external flow estimator is
# allowed in source-free adaptation (docs/source_free.md): it sees target frames only.
_base_ = ['./viper2cityscapes_source_free.py']
cityscapes_vps_flow_root = 'train/flow'  # relative to data_root
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='LoadClipFlow'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=True),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(target=dict(flow_root=cityscapes_vps_flow_root, pipeline=target_pipeline)))
