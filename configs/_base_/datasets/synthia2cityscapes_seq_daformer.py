# SYNTHIA-Seq -> Cityscapes-Seq with DAFormer's data recipe: the 512 x 512 crops of
# synthia2cityscapes_seq_crop512.py and rare-class sampling of the 849 source samples (DAFormer's
# T = 0.01, 3000 pixels, crop ratio 0.5, as viper2cityscapes_seq_daformer.py). The statistics count
# the converted 12-class label files as stored (1280x760, before the bottom cut), once:
#   python tools/data/class_frequencies.py configs/daformer/synthia2cityscapes_seq.py
_base_ = ['./synthia2cityscapes_seq_crop512.py']
train_dataloader = dict(
    dataset=dict(
        rare_class_sampling=dict(
            class_stats='data/SynthiaSeq/SEQS-04-DAWN/class_stats.json',
            temperature=0.01,
            min_pixels=3000,
            min_crop_ratio=0.5)))
