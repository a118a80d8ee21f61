# VIPER -> Cityscapes-Seq with DAFormer's data recipe: the 512 x 512 crops of
# viper2cityscapes_seq_crop512.py and rare-class sampling of the source samples (T = 0.01, a
# sample needs > 3000 pixels of the class, its crop > 1500; DAFormer's values, as
# viper2cityscapes_daformer.py). The class statistics of the converted 15-class labels are counted
# once:
#   python tools/data/class_frequencies.py configs/daformer/viper2cityscapes_seq.py --workers 8
_base_ = ['./viper2cityscapes_seq_crop512.py']
train_dataloader = dict(
    dataset=dict(
        rare_class_sampling=dict(
            # Beside the VIPER tree; not the VPS benchmark's class_stats.json (other labels).
            class_stats='data/viper/class_stats_seq.json',
            temperature=0.01,
            min_pixels=3000,
            min_crop_ratio=0.5)))
