# The embedded pair for the two-frame methods (DA-VSN, TPS): as synthetic.py, plus the flow from
# each frame t to t-1 with every clip, and test items that carry frame t-1 and that flow (the
# two-frame segmentor predicts from the pair, docs/methods/tps.md "Inference"). The pair's flow is
# the generator's exact flow in the toolbox's convention (docs/data.md), which is the originals'
# convention (t -> t-1 on the frame-t grid); for real data compute it with
# tools/data/compute_flow.py, or write DA-VSN / TPS files with tools/data/write_original_flow.py.
_base_ = ['./synthetic.py']
train_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='LoadClipFlow'),
    dict(type='ClipRandomFlip', prob=0.5),  # negates dx with the flip
    dict(type='PackClipInputs'),
]
test_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipFlow'),
    dict(type='LoadClipAnnotations'),
    dict(type='PackFrameInputs'),  # frame t, plus 'previous' (t-1) and 'flows' (t -> t-1)
]
train_dataloader = dict(
    dataset=dict(
        source=dict(data_prefix=dict(flow_path='source/train/flow'), pipeline=train_pipeline),
        target=dict(data_prefix=dict(flow_path='target/train/flow'), pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(num_frames=2, data_prefix=dict(flow_path='target/val/flow'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
