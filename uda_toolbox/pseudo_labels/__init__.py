"""Pseudo labels for self-training: threshold policies (registry ``PSEUDO_LABEL_POLICIES``) and
the temporal operations of the seed paper's VST (aggregation Eq. 10, consensus Eq. 12 / 14)."""
from .policies import (
    BasePolicy,
    ClassBalancedPolicy,
    ClipAdaptivePolicy,
    InstanceAdaptivePolicy,
    lrent_soft_labels,
)
from .temporal import aggregate_predictions, consensus_cutout, consensus_fillin

__all__ = ['BasePolicy', 'ClassBalancedPolicy', 'ClipAdaptivePolicy', 'InstanceAdaptivePolicy',
           'aggregate_predictions', 'consensus_cutout', 'consensus_fillin', 'lrent_soft_labels']
