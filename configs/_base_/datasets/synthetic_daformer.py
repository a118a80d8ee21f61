# The embedded pair with DAFormer's rare-class sampling of the source clips (DAFormer Sec. 3.3):
# P(c) = softmax((1 - f_c) / T), T = 0.01, over the source pixel frequencies f_c that
# tools/data/class_frequencies.py counts once (`make data` runs it):
#   python tools/data/class_frequencies.py configs/daformer/synthetic.py
# min_pixels scales DAFormer's 3000 pixels of a 1914 x 1052 GTA frame (0.15 %) to the 64 x 128
# frames (12 pixels). There is no random crop here, so a second draw of the clip only re-flips it.
_base_ = ['./synthetic.py']
train_dataloader = dict(
    dataset=dict(
        rare_class_sampling=dict(
            class_stats='{data_root}/source/train/class_stats.json',  # the source's data_root
            temperature=0.01,
            min_pixels=12,
            min_crop_ratio=0.5)))
