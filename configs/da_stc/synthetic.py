# DA-STC / QuadMix (Zhang et al., arXiv 2311.13254; CNN variant of ZHE-SAPI/UDASS) on the embedded
# pair: TPS's cross-frame pseudo labels plus a four-directional two-frame class-mix with long-tail
# instances and a class-mean MMD, started from the TPS run (the code starts from, and for its
# first 8k of 40k iterations is taught by, a TPS checkpoint). docs/methods/da_stc.md
_base_ = [
    '../_base_/models/two_frame_tiny_deeplabv2.py', '../_base_/datasets/synthetic_two_frame.py',
    '../_base_/schedules/synthetic_self_training.py', '../_base_/default_runtime.py'
]
description = 'DA-STC: four-directional two-frame class-mix, long-tail bank and class-mean MMD'
# Initial weights and frozen teacher: the TPS run (tools/train.py configs/tps/synthetic.py). The
# benchmark passes its own run's checkpoint instead (row `depends`).
load_from = 'configs/tps/synthetic.py'
data_root = {{_base_.data_root}}  # the embedded pair's (datasets/synthetic_source_free.py)
# --cfg-options data_root=DIR (another embedded pair) also moves the long-tail bank and its index.
# (The list replaces the base's, so it repeats the base's keys: synthetic_source_free.py.)
config_variables = dict(data_root=[
    'train_dataloader.dataset.source.data_root', 'train_dataloader.dataset.target.data_root',
    'val_dataloader.dataset.data_root', 'test_dataloader.dataset.data_root',
    'pseudo_labels.label_dataset.data_root', 'model.long_tail_bank.dataset.data_root'])
# Frames of the long-tail bank: every labelled source frame, as the source pipeline reads it.
long_tail_frames = dict(
    type='ClipDataset',
    data_root=data_root,
    data_prefix=dict(img_path='source/train/img', seg_map_path='source/train/cls'),
    mode='test',
    pipeline=[dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations'),
              dict(type='PackClipInputs')])
model = dict(
    type='DASTC',
    segmentor=dict(warp='bilinear'),  # TPS's Resample2d
    # The index: python tools/data/class_frame_index.py configs/da_stc/synthetic.py
    long_tail_bank=dict(
        dataset=long_tail_frames,
        index_file='{data_root}/source/class_frame_index.json',  # the bank dataset's root
        # The pair's rare rendered classes (under 4 % of source pixels: pole, traffic sign,
        # terrain, person), as the code's sets are VIPER's / SYNTHIA's rare classes.
        classes=[4, 6, 8, 10],
        per_iteration=3,  # cls_to_use of _31.py (VIPER)
        min_pixels=5),  # "> 5 pixels in the window" (rand_mixer.mix)
    teacher_checkpoint=None,  # the load_from model, frozen
    # The code: 8000 of 40000 iterations (20 %) with the frozen TPS teacher; here 16 of 80.
    teacher_iters=16,
    # The pair stands for VIPER -> Cityscapes: lambda_T = 0.2 (hard-coded in _31.py).
    lambda_target=0.2,
    lambda_seg_aux=0.1,  # LAMBDA_SEG_AUX
    lambda_mix=1.0,  # cfg.lamda
    mmd=dict(type='ClassMeanMMDLoss', loss_weight=0.01, kernel_mul=2.0, kernel_num=5),
    source_classes=2,
    target_classes=2,
    confidence_threshold=0.9,
    frame_c_confidence='logits',  # the code's quirk (docs)
    draw_ignore_class=True,  # the code's quirk (docs)
    previous_source_mask='label',  # the pair labels every source frame
    flow_mask_frame='previous',  # the code pastes flows with the t-1 masks (docs)
    long_tail_mask='sum',  # the code's Masks_longtail (docs)
    window_rows=None,  # source and target frames have one size here: the window is the frame
    temporal_weights=(0.5, 0.5),  # tem_weighted = False
    histogram_matching=True,
    strong_aug_input='original',  # TPS's ToPILImage of normalised floats (docs)
    weak_flip='original',  # TPS's flip with an unflipped flow (docs)
    # _31.py (VIPER): the strong view is ToPILImage -> ToTensor only.
    blur_prob=0.0, jitter_prob=0.0, grayscale_prob=0.0)
# Target clips (t-2, t-1, t): the pseudo labels come from the pair before, and the second
# temporal view pairs t with t-2.
train_dataloader = dict(dataset=dict(target=dict(num_frames=3)))
# teacher_iters counts iterations: a shorter run (max_iters=N) scales it too (apis.schedule).
schedule_keys = ['model.teacher_iters']
