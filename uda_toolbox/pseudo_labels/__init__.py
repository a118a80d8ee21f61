"""Pseudo labels for self-training: threshold policies (registry ``PSEUDO_LABEL_POLICIES``), the
predictions of a round (``predict``), the temporal operations of Shin et al. (2021)'s VST
(``temporal``: aggregation Eq. 10, consensus Eq. 12 / 14), rounds (``round``) and their figures
(``stats``); and the labels an online teacher makes inside the step (``online``: filters of
registry ``PSEUDO_LABEL_FILTERS``)."""
from .online import (
    BorderWeight,
    ConfidenceThreshold,
    ConfidenceWeight,
    build_filters,
    confident_share,
    online_pseudo_labels,
)
from .policies import (
    BasePolicy,
    ClassBalancedPolicy,
    ClipAdaptivePolicy,
    InstanceAdaptivePolicy,
    LabelEntropyPolicy,
    lrent_soft_labels,
)
from .predict import ClipPredictor
from .round import generate_round
from .stats import RoundStats
from .temporal import aggregate_clip, consensus_cutout, consensus_fillin

__all__ = ['BasePolicy', 'BorderWeight', 'ClassBalancedPolicy', 'ClipAdaptivePolicy',
           'ClipPredictor', 'ConfidenceThreshold', 'ConfidenceWeight', 'InstanceAdaptivePolicy',
           'LabelEntropyPolicy', 'RoundStats', 'aggregate_clip', 'build_filters', 'confident_share',
           'consensus_cutout', 'consensus_fillin', 'generate_round', 'lrent_soft_labels',
           'online_pseudo_labels']
