# VIPER -> Cityscapes-Seq for video self-training (VST): as viper2cityscapes_seq_self_training.py,
# plus the target snippets' optical flow (both directions between t - 1 and t) for the rounds'
# aggregated predictions (Shin et al. (2021) Eq. 10) and the online refinement (Eq. 12 / 14).
# Compute it once, at the training input size (docs/data.md, "Cityscapes-Seq benchmarks"):
#   python tools/data/cityscapes_seq.py compute_flow data/cityscapes --splits train
# which writes data/cityscapes/flow/train/<city>/<frame stem>_{bw,fw}.npy (OpenCV DIS).
_base_ = ['./viper2cityscapes_seq_self_training.py']
cityscapes_flow_root = 'flow/train'  # relative to data_root
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=False, interpolation='pil_bicubic'),
    # Any stored resolution, resized to the frames; both directions (VST refines t - 1 and t).
    dict(type='LoadResizedClipFlow', with_forward=True),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(target=dict(flow_root=cityscapes_flow_root, flow_format='toolbox',
                             pipeline=target_pipeline)))
