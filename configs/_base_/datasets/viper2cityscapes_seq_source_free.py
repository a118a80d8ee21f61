# The target side of VIPER -> Cityscapes-Seq, for source-free adaptation (docs/source_free.md):
# viper2cityscapes_seq.py with no source dataset, so the training dataset is
# UDADataset(source=None) over the 2975 unlabelled Cityscapes-Seq train snippets (t - 1, t), and the
# VIPER-trained model comes in through load_from (the source-only run of this benchmark).
# Evaluation (500 val snippets, 15 classes, mIoU only) is the benchmark's. The VIPER keys of the
# base (viper_root, source_pipeline) stay as names only: no dataset is built from them, and
# uda_toolbox.apis.check_source_free finds no source dataset.
_base_ = ['./viper2cityscapes_seq.py']
train_dataloader = dict(dataset=dict(source=None))
