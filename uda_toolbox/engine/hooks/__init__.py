"""Runner hooks of the toolbox."""
from .checkpoint_hook import VerifiedCheckpointHook
from .nan_loss_hook import NaNLossHook, NonFiniteLossError
from .pseudo_label_hook import PseudoLabelHook
from .rng_state_hook import RNGStateHook

__all__ = ['NaNLossHook', 'NonFiniteLossError', 'PseudoLabelHook', 'RNGStateHook',
           'VerifiedCheckpointHook']
