"""Network parts: backbones, heads, discriminators, segmentors, data preprocessor, loss functions."""
from .backbones import *  # noqa: F401,F403
from .data_preprocessor import ClipSegDataPreProcessor
from .discriminators import FCDiscriminator, SequenceDiscriminator
from .heads import *  # noqa: F401,F403
from .long_tail_bank import LongTailBank
from .losses import (
    entropy_loss,
    frame_dice_loss,
    gan_loss,
    iast_regularizer,
    ignored_entropy_loss,
    labelled_kld_loss,
    masked_cross_entropy,
    mrent_regularizer,
    mrkld_regularizer,
    self_information_map,
    top2_soft_cross_entropy,
    tube_dice_loss,
)
from .mmd import ClassMeanMMDLoss, class_mean_vectors, mmd_rbf
from .segmentors import TwoFrameSegmentor

__all__ = [
    'ClipSegDataPreProcessor', 'FCDiscriminator', 'SequenceDiscriminator', 'entropy_loss',
    'frame_dice_loss', 'gan_loss', 'iast_regularizer', 'ignored_entropy_loss', 'labelled_kld_loss',
    'masked_cross_entropy', 'mrent_regularizer', 'mrkld_regularizer', 'self_information_map',
    'top2_soft_cross_entropy', 'tube_dice_loss', 'TwoFrameSegmentor', 'ClassMeanMMDLoss',
    'class_mean_vectors', 'mmd_rbf', 'LongTailBank'
]
