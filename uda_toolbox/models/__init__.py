"""Network parts: backbones, heads, data preprocessor, loss functions (and later discriminators)."""
from .backbones import *  # noqa: F401,F403
from .data_preprocessor import ClipSegDataPreProcessor
from .heads import *  # noqa: F401,F403
from .losses import masked_cross_entropy

__all__ = ['ClipSegDataPreProcessor', 'masked_cross_entropy']
