"""Runner hooks of the toolbox."""
from .pseudo_label_hook import PseudoLabelHook

__all__ = ['PseudoLabelHook']
