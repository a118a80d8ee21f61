# TPS with the ORIGINALS' CHECKPOINT PICKING: every 100 iterations (SAVE_PRED_EVERY) the model is
# evaluated on the target validation set and the best snapshot is kept (best_mIoU_iter_*.pth).
# This chooses the model with target labels, so it is not an unsupervised result: the published
# TPS / DA-VSN numbers were obtained this way (research/peers_davsn_tps.md section 0, item 7);
# report it only beside, and labelled as, the final checkpoint of viper2cityscapes.py.
_base_ = ['./viper2cityscapes.py']
description = 'TPS, reporting the best validation snapshot as the original code does'
train_cfg = dict(val_interval=100)
default_hooks = dict(
    checkpoint=dict(interval=100, save_best='mIoU', rule='greater', max_keep_ckpts=1))
