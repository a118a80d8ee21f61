# VIPER -> Cityscapes-VPS for video self-training (VST): as viper2cityscapes_self_training.py,
# plus the target clips' optical flow for the rounds' aggregated predictions (Shin et al. (2021) Eq. 10) and
# the online refinement (Eq. 12 / 14). Precompute it once, at the frames' full size (docs/data.md):
#   python tools/data/compute_flow.py data/cityscapes_vps/train \
#       --sequence-root data/cityscapes/leftImg8bit_sequence/val
# which writes <data_root>/train/flow/VVVV/VVVV_FFFFF_{bw,fw}.npy (FFFFF = position 0..29 in the
# clip). Shin et al. (2021) used FlowNet 2.0; the toolbox's default estimator is OpenCV DIS.
_base_ = ['./viper2cityscapes_self_training.py']
cityscapes_vps_flow_root = 'train/flow'  # relative to data_root
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='LoadClipFlow', with_forward=True),  # both directions: VST refines both frames
    dict(type='ClipResize', scale={{_base_.target_scale}}, keep_ratio=True),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(target=dict(flow_root=cityscapes_vps_flow_root, pipeline=target_pipeline)))
