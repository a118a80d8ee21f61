# The embedded pair for video self-training (VST): as synthetic_self_training.py, plus the target
# clips' optical flow, read by the pseudo-label rounds (aggregated predictions, Shin et al. (2021) Eq. 10) and
# loaded with every target clip for the online refinement (Eq. 12 / 14). The pair's flow is the
# generator's exact flow (docs/data.md); for other data precompute it with
# tools/data/compute_flow.py.
_base_ = ['./synthetic_self_training.py']
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='LoadClipFlow', with_forward=True),  # both directions: VST refines both frames
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(
        target=dict(data_prefix=dict(flow_path='target/train/flow'), pipeline=target_pipeline)))
