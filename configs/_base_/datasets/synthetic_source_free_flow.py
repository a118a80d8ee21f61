# Source-free adaptation on the embedded pair with the target clips' optical flow (STPL: the
# earlier frame's embeddings are warped onto the current frame). The pair's flow is the
# generator's exact flow (docs/data.md); for other data precompute it with
# tools/data/compute_flow.py. An external flow estimator is allowed in source-free adaptation
# (docs/source_free.md): it sees target frames only.
_base_ = ['./synthetic_source_free.py']
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='LoadClipFlow'),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(
        target=dict(data_prefix=dict(flow_path='target/train/flow'), pipeline=target_pipeline)))
