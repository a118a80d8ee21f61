# SYNTHIA-Seq -> Cityscapes-Seq for the two-frame methods (DA-VSN, TPS, DA-STC): as
# viper2cityscapes_seq_two_frame.py (flow t -> t-1 with every snippet, target (t-2, t-1, t), val
# items with t-1 and the flow) on SYNTHIA-Seq's cut frames (1280x640). Source flow, once:
#   python tools/data/synthia_seq.py compute_flow data/SynthiaSeq/SEQS-04-DAWN
_base_ = ['./synthia2cityscapes_seq.py', './cityscapes_seq_two_frame_parts.py']
synthia_flow_root = 'flow'  # relative to synthia_root (tools/data/synthia_seq.py compute_flow)
synthia_source_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1280, 760), keep_ratio=False, interpolation='pil_bicubic'),
    dict(type='ClipCropMargins', bottom=120),
    dict(type='LoadResizedClipFlow'),  # computed on the cut frames
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(
        source=dict(flow_root=synthia_flow_root, flow_format={{_base_.flow_format}},
                    pipeline=synthia_source_pipeline),
        target={{_base_.two_frame_target}}))
val_dataloader = dict(dataset={{_base_.two_frame_val}})
test_dataloader = val_dataloader
