"""Parameter schedulers of the toolbox."""
from mmengine.optim.scheduler import PolyLR

from uda_toolbox.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class PolyLRWithFixedGroups(PolyLR):
    """``PolyLR`` that leaves the parameter groups marked ``fixed_lr=True`` at their learning rate.

    ADVENT's ``adjust_learning_rate`` (``advent/utils/func.py``), which DA-VSN and TPS call every
    iteration, sets the poly rate on param groups 0 and 1 only (group 1 at 10x); their DeepLab's
    third group, the classifier heads at 10x the base rate, is never updated, so it keeps
    10 x base for the whole run (research/peers_davsn_tps.md section 2.5). Mark those groups through
    ``paramwise_cfg``: ``custom_keys={'decode_head': dict(lr_mult=10.0, fixed_lr=True)}`` (mmengine
    copies a custom key's settings into its param groups).
    """

    def _get_value(self):
        values = super()._get_value()
        return [group[self.param_name] if group.get('fixed_lr') else value
                for group, value in zip(self.optimizer.param_groups, values)]
