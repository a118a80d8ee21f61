# What the two-frame methods (DA-VSN, TPS, DA-STC) add to the Cityscapes-Seq benchmarks (a part
# for viper2cityscapes_seq_two_frame.py and synthia2cityscapes_seq_two_frame.py, no dataloaders of
# its own): the target and val pipelines with the flow from each frame t to t-1, in the toolbox's
# format at any resolution, resized to the frames (LoadResizedClipFlow), and its roots. Compute it
# once (docs/data.md, "Cityscapes-Seq benchmarks"):
#   python tools/data/cityscapes_seq.py compute_flow data/cityscapes --splits train val --frames -2 -1 0
# (the originals' SDCNet *_int16_x10.npy files, where you have them: flow_format='original' and
# their directory as the flow roots).
cityscapes_flow_root = 'flow/train'  # relative to cityscapes_root
cityscapes_val_flow_root = 'flow/val'
flow_format = 'toolbox'
# TPS and DA-STC label t from the pair before: (t-2, t-1, t); DA-VSN sets (-1, 0).
target_frame_offsets = (-2, -1, 0)
two_frame_target_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=False, interpolation='pil_bicubic'),
    dict(type='LoadResizedClipFlow'),
    dict(type='PackClipInputs'),
]
two_frame_test_pipeline = [
    dict(type='LoadClipFrames'),
    dict(type='ClipResize', scale=(1024, 512), keep_ratio=False, interpolation='pil_bicubic'),
    dict(type='LoadResizedClipFlow'),
    # Labels are loaded after the resize so they keep their full resolution.
    dict(type='LoadClipAnnotations'),
    dict(type='PackFrameInputs'),  # frame t, plus 'previous' (t-1) and 'flows' (t -> t-1)
]
two_frame_target = dict(flow_root=cityscapes_flow_root, flow_format=flow_format,
                        frame_offsets=target_frame_offsets, pipeline=two_frame_target_pipeline)
two_frame_val = dict(frame_offsets=(-1, 0), flow_root=cityscapes_val_flow_root,
                     flow_format=flow_format, pipeline=two_frame_test_pipeline)
