"""DA-VSN's loss terms on hand-made maps, and one iteration of the adaptor on in-memory clips."""
import math

import pytest
import torch
import torch.nn as nn
from two_frame_batches import make_two_frame_batch

from uda_toolbox.adaptors.da_vsn import (
    intra_tcr_loss,
    joint_softmax,
    normalised_entropy,
    weight_discrepancy_loss,
)
from uda_toolbox.utils.warp import propagate


def _logits(probs):
    return torch.log(torch.tensor(probs, dtype=torch.float64))


def test_intra_tcr_weight_and_l1_on_hand_made_maps():
    # Two classes, a 1x3 grid. Frame t: uncertain, sure, uncertain; frame t-1: sure, uncertain,
    # sure. A flow of +1 px in x splats t-1 pixel x to x - 1 (pixel 0 falls out, 2 is a hole).
    p = [[0.6, 0.9, 0.5], [0.4, 0.1, 0.5]]
    q = [[0.95, 0.7, 0.99], [0.05, 0.3, 0.01]]
    current = _logits(p).view(1, 2, 1, 3).requires_grad_()
    previous = _logits(q).view(1, 2, 1, 3)
    flow = torch.zeros(1, 2, 1, 3, dtype=torch.float64)
    flow[:, 0] = 1.0
    loss = intra_tcr_loss(current, previous, lambda v: propagate(v, flow, 'splat'))

    def entropy(a):  # -sum p log2 p (the weight compares, so the 1/C of the mean cancels)
        return sum(-x * math.log2(x) for x in a)
    # Target 0 gets t-1 pixel 1: H(0.7) = 0.881 < H(0.6) = 0.971 -> weight 1;
    # target 1 gets t-1 pixel 2: H(0.99) = 0.081 < H(0.9) = 0.469 -> weight 1;
    # target 2 is a hole (weight 0); t-1 pixel 0 falls out of the frame.
    assert entropy([0.7, 0.3]) < entropy([0.6, 0.4]) and entropy([0.99, 0.01]) < entropy([0.9, 0.1])
    expected = (abs(0.6 - 0.7) + abs(0.4 - 0.3) + abs(0.9 - 0.99) + abs(0.1 - 0.01)) / (2 * 3)
    assert float(loss) == pytest.approx(expected, rel=1e-9)
    # Where t-1 is the less confident frame the weight is 0: swap the roles.
    swapped = intra_tcr_loss(previous.clone().requires_grad_(), current.detach(),
                             lambda v: propagate(v, torch.zeros_like(flow), None))
    # now t is (0.95, 0.7, 0.99) and t-1 (0.6, 0.9, 0.5): only pixel 1 (0.9 sure vs 0.7) counts
    assert float(swapped) == pytest.approx((0.2 + 0.2) / 6, rel=1e-9)
    loss.backward()  # the gradient reaches frame t's scores only
    assert current.grad is not None and current.grad.abs().sum() > 0
    assert normalised_entropy(torch.tensor([[[[0.5]], [[0.5]]]])).item() == pytest.approx(0.5)


def test_joint_softmax_is_one_distribution_over_2c_channels():
    a, b = torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 5)
    joint = joint_softmax(a, b)
    assert joint.shape == (2, 6, 4, 5)
    assert torch.allclose(joint.sum(dim=1), torch.ones(2, 4, 5))
    assert torch.allclose(joint, torch.cat([a, b], 1).exp() / torch.cat([a, b], 1).exp().sum(1, keepdim=True))
    # not the per-frame softmax halved (what a reader might expect)
    per_frame = torch.cat([a.softmax(1), b.softmax(1)], 1) / 2
    assert not torch.allclose(joint, per_frame, atol=1e-3)
    # of (P, P) it is the per-frame softmax halved
    assert torch.allclose(joint_softmax(a, a), torch.cat([a.softmax(1)] * 2, 1) / 2, atol=1e-6)


def test_weight_discrepancy_loss_values():
    first = nn.Sequential(nn.Conv2d(2, 3, 1), nn.Conv2d(3, 1, 1))
    second = nn.Sequential(nn.Conv2d(2, 3, 1), nn.Conv2d(3, 1, 1))
    second.load_state_dict(first.state_dict())
    # same weights: cos = 1 for all K = 4 tensors -> mean(1 + 1) = 2
    assert float(weight_discrepancy_loss(first, second)) == pytest.approx(2.0)
    with torch.no_grad():
        for p in second.parameters():
            p.neg_()
    assert float(weight_discrepancy_loss(first, second)) == pytest.approx(0.0, abs=1e-6)
    with torch.no_grad():  # one tensor orthogonal: (1 + 0 + 0 + 0 ... ) -> cos 0 on it
        second[0].weight.copy_(first[0].weight)
        second[0].bias.zero_()
        second[0].bias[0] = -first[0].bias[1]
        second[0].bias[1] = first[0].bias[0]
    cosines = [1.0, 0.0, -1.0, -1.0]  # conv0.weight same, conv0.bias orthogonal, conv1 negated
    expected = sum(c + 1 for c in cosines) / 4
    assert float(weight_discrepancy_loss(first, second)) == pytest.approx(expected, abs=1e-6)
    # gradient pushes both apart (it reaches both discriminators)
    loss = weight_discrepancy_loss(first, second)
    loss.backward()
    assert first[1].weight.grad is not None and second[1].weight.grad is not None


def test_davsn_iteration_trains_both_discriminator_kinds_and_clips_each(
        adaptor_from_config, two_frame_batch):
    model, optim = adaptor_from_config('configs/da_vsn/synthetic.py')
    assert model.segmentor.warp == 'splat'
    assert set(model.discriminator) == {'sta_main', 'sta_aux', 'sa_main', 'sa_aux'}
    assert model.discriminator['sta_main'].first.in_channels == 2 * model.num_classes
    before = {k: v.clone() for k, v in model.discriminator.state_dict().items()}
    model.train()
    logs = model.train_step(two_frame_batch(target_frames=2), optim)
    for key in ('loss_seg_src', 'loss_seg_src_aux', 'loss_itcr', 'loss_itcr_aux', 'loss_adv_sta',
                'loss_adv_sa_aux', 'loss_disc_sta_main_src', 'loss_disc_sa_aux_tgt', 'loss_wd',
                'loss_wd_aux', 'loss_disc'):
        assert key in logs and math.isfinite(float(logs[key])), key
    # lamda_u * lamda_wd * mean(cos + 1): in [0, 0.002]
    assert 0.0 <= float(logs['loss_wd']) <= 0.002
    after = model.discriminator.state_dict()
    assert all(not torch.equal(before[k], after[k]) for k in before if k.endswith('weight'))


@pytest.fixture
def two_frame_batch():
    return make_two_frame_batch
