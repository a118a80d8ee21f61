# VIPER -> Cityscapes-VPS for the two-frame methods (DA-VSN, TPS): the benchmark's data
# (viper2cityscapes.py: day sequences, 15 classes, the same sizes) with what their code feeds the
# model: the flow from each frame t to t-1 with every clip, no flip (DA-VSN has no augmentation,
# TPS augments inside the step), and test items that carry frame t-1 and that flow.
#
# Flow: DA-VSN / TPS's own format by default, flat *_int16_x10.npy files at their resolutions
# (VIPER 576x1024, Cityscapes 512x1024), written once with OpenCV DIS (docs/data.md):
#   python tools/data/write_original_flow.py data/viper/train/img data/viper/flow_original \
#       --naming viper --height 576
#   python tools/data/write_original_flow.py data/cityscapes/leftImg8bit_sequence/val \
#       data/cityscapes_vps/flow_original --naming cityscapes --height 512 --pairs 2
# (Cityscapes-VPS clips are frames of Cityscapes' val sequences: one directory serves its train and
# val splits; --pairs 2 adds the (t-1, t-2) files of TPS). Their FlowNet2 files, where you have
# them, go in the same places. The toolbox's own flow (tools/data/compute_flow.py, <split>/flow)
# works too: flow_naming = None, the flow roots '<split>/flow', flow_resize = None.
_base_ = ['./viper2cityscapes.py']
viper_flow_root = 'flow_original'  # relative to viper_root
cityscapes_vps_flow_root = 'flow_original'  # relative to cityscapes_vps_root
viper_flow_naming = 'viper'
cityscapes_flow_naming = 'cityscapes'
# Resize the flow to the (resized) frames, both components x the height ratio (the originals).
flow_resize = 'height'

source_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1280, 720), keep_ratio=True),
    dict(type='LoadClipFlow', resize_to_frame=flow_resize),
    dict(type='PackClipInputs'),
]
target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=True),
    dict(type='LoadClipFlow', resize_to_frame=flow_resize),
    dict(type='PackClipInputs'),
]
test_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=True),
    dict(type='LoadClipFlow', resize_to_frame=flow_resize),
    # Labels are loaded after the resize so they keep their full resolution.
    dict(type='LoadClipAnnotations'),
    dict(type='PackFrameInputs'),  # frame t, plus 'previous' (t-1) and 'flows' (t -> t-1)
]
train_dataloader = dict(
    dataset=dict(
        source=dict(flow_root=viper_flow_root, flow_naming=viper_flow_naming,
                    pipeline=source_pipeline),
        target=dict(flow_root=cityscapes_vps_flow_root, flow_naming=cityscapes_flow_naming,
                    pipeline=target_pipeline)))
val_dataloader = dict(
    dataset=dict(num_frames=2, flow_root=cityscapes_vps_flow_root,
                 flow_naming=cityscapes_flow_naming, pipeline=test_pipeline))
test_dataloader = val_dataloader
