"""The learning rates of DA-VSN / TPS's three parameter groups (ADVENT's adjust_learning_rate)."""
import pytest
import torch.nn as nn
from mmengine.optim import build_optim_wrapper

from uda_toolbox.registry import PARAM_SCHEDULERS


class _Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Conv2d(3, 4, 1)
        self.fusion = nn.Conv2d(8, 4, 1, bias=False)
        self.decode_head = nn.Conv2d(4, 4, 1)


def test_backbone_poly_fusion_ten_times_poly_heads_constant_ten_times_base():
    optim = build_optim_wrapper(_Model(), dict(
        type='OptimWrapper', optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
        paramwise_cfg=dict(custom_keys={'fusion': dict(lr_mult=10.0),
                                        'decode_head': dict(lr_mult=10.0, fixed_lr=True)})))
    # ADVENT: lr_poly(base, it, MAX_ITERS=250000, 0.9); mmengine's PolyLR reaches eta_min at
    # end - 1, so end = 250001 gives base * (1 - it / 250000) ** 0.9. Scaled down 1000x here
    # (the same rates at 40 and 120 of 250 as at 40k and 120k of 250k).
    scheduler = PARAM_SCHEDULERS.build(dict(type='PolyLRWithFixedGroups', optimizer=optim.optimizer,
                                            eta_min=0.0, power=0.9, begin=0, end=251,
                                            by_epoch=False))

    def rates():
        return {name: optim.optimizer.param_groups[k]['lr']
                for k, name in enumerate(('backbone.weight', 'backbone.bias', 'fusion.weight',
                                          'decode_head.weight', 'decode_head.bias'))}

    first = rates()
    assert first['backbone.weight'] == pytest.approx(2.5e-4)
    assert first['fusion.weight'] == pytest.approx(2.5e-3)
    assert first['decode_head.weight'] == pytest.approx(2.5e-3)
    for it in range(1, 121):
        optim.optimizer.step()
        scheduler.step()
        if it in (40, 120):
            lr = rates()
            poly = 2.5e-4 * (1 - it / 250) ** 0.9
            assert lr['backbone.weight'] == pytest.approx(poly, rel=1e-6)
            assert lr['fusion.weight'] == pytest.approx(10 * poly, rel=1e-6)
            assert lr['decode_head.bias'] == pytest.approx(2.5e-3, rel=1e-12)
            # the specification's figures (section 2.5)
            expected = {40: 2.14e-4, 120: 1.39e-4}[it]  # at 40k and 120k iterations
            assert lr['backbone.weight'] == pytest.approx(expected, abs=0.005e-4)
