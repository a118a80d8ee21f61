# VIPER -> Cityscapes-Seq for the two-frame methods (DA-VSN, TPS, DA-STC): the benchmark's data
# (viper2cityscapes_seq.py) with what their code feeds the model: the flow from each frame t to t-1
# with every snippet, target snippets (t-2, t-1, t), and val items that carry frame t-1 and that
# flow (cityscapes_seq_two_frame_parts.py). Source flow, once:
#   python tools/data/viper_seq.py compute_flow data/viper
_base_ = ['./viper2cityscapes_seq.py', './cityscapes_seq_two_frame_parts.py']
viper_flow_root = 'train/flow'  # relative to viper_root (tools/data/viper_seq.py compute_flow)
source_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1280, 720), keep_ratio=False, interpolation='pil_bicubic'),
    dict(type='LoadResizedClipFlow'),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(
    dataset=dict(
        source=dict(flow_root=viper_flow_root, flow_format={{_base_.flow_format}},
                    pipeline=source_pipeline),
        target={{_base_.two_frame_target}}))
val_dataloader = dict(dataset={{_base_.two_frame_val}})
test_dataloader = val_dataloader
