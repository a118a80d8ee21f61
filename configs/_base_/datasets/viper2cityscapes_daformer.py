# VIPER -> Cityscapes-VPS with DAFormer's data recipe: the 512 x 512 crops of
# viper2cityscapes_crop512.py and rare-class sampling of the source clips (T = 0.01, a clip needs
# > 3000 pixels of the class, its crop > 1500; DAFormer's values). The class statistics are
# counted once:
#   python tools/data/class_frequencies.py configs/daformer/viper2cityscapes.py --workers 8
_base_ = ['./viper2cityscapes_crop512.py']
train_dataloader = dict(
    dataset=dict(
        rare_class_sampling=dict(
            # Beside the VIPER tree (viper_root); move it with the tree.
            class_stats='data/viper/class_stats.json',
            temperature=0.01,
            min_pixels=3000,
            min_crop_ratio=0.5)))
