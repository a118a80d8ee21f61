# DA-VSN with the ORIGINALS' CHECKPOINT PICKING: every 1000 iterations (SAVE_PRED_EVERY) the model
# is evaluated on the target validation set and the best snapshot is kept (best_mIoU_iter_*.pth;
# DA-VSN's 47.8 on VIPER is model_36000, DA-VSN issue #2). This chooses the model with target
# labels, so it is not an unsupervised result; report it only beside, and labelled as, the final
# checkpoint of viper2cityscapes.py.
_base_ = ['./viper2cityscapes.py']
description = 'DA-VSN, reporting the best validation snapshot as the original code does'
train_cfg = dict(val_interval=1000)
default_hooks = dict(
    checkpoint=dict(interval=1000, save_best='mIoU', rule='greater', max_keep_ckpts=1))
