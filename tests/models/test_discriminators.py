import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from uda_toolbox.models import FCDiscriminator, SequenceDiscriminator
from uda_toolbox.registry import MODELS


@pytest.mark.parametrize('h,w,out', [(64, 128, (2, 4)), (32, 64, (1, 2)), (96, 96, (3, 3))])
def test_image_discriminator_shapes(h, w, out):
    disc = FCDiscriminator(in_channels=15)
    assert disc(torch.rand(2, 15, h, w)).shape == (2, 1) + out


def test_image_discriminator_is_the_papers_network():
    disc = MODELS.build(dict(type='FCDiscriminator', in_channels=7))
    convs = [m for m in disc.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256, 512, 1]
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2) for c in convs)
    slopes = {m.negative_slope for m in disc.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in disc.modules())
    narrow = FCDiscriminator(in_channels=7, widths=(8, 16, 32, 32))
    assert [m.out_channels for m in narrow.modules() if isinstance(m, nn.Conv2d)] == [8, 16, 32, 32, 1]


@pytest.mark.parametrize('t,h,w,out', [(2, 64, 128, (1, 2, 4)), (4, 32, 64, (2, 1, 2)),
                                       (3, 64, 64, (1, 2, 2))])
def test_sequence_discriminator_shapes(t, h, w, out):
    disc = SequenceDiscriminator(in_channels=15, widths=(16, 32, 64, 64))
    assert disc(torch.rand(2, 15, t, h, w)).shape == (2, 1) + out


def test_sequence_discriminator_first_layer_is_3d_with_temporal_stride_2():
    disc = MODELS.build(dict(type='SequenceDiscriminator', in_channels=15))
    assert isinstance(disc.first, nn.Conv3d)
    assert disc.first.stride == (2, 2, 2) and disc.first.kernel_size == (2, 4, 4)
    later = [m for m in disc.body.modules() if isinstance(m, (nn.Conv2d, nn.Conv3d))]
    assert all(isinstance(m, nn.Conv2d) for m in later)
    assert [disc.first.out_channels] + [m.out_channels for m in later] == [64, 128, 256, 512, 1]
    assert disc.takes_clips and not FCDiscriminator.takes_clips


def test_sequence_discriminator_on_two_frames_is_the_image_one_on_both_frames_stacked():
    """With T = 2 the 3D kernel sees both frames at once: the image network whose first conv
    reads the two frames' channels together, with the same later layers."""
    torch.manual_seed(0)
    seq = SequenceDiscriminator(in_channels=3, widths=(4, 8, 8, 8))
    img = FCDiscriminator(in_channels=6, widths=(4, 8, 8, 8))
    img.body.load_state_dict(seq.body.state_dict())
    with torch.no_grad():
        # Conv3d weight (out, C, T, 4, 4) -> Conv2d weight on [frame0 channels, frame1 channels].
        img.first.weight.copy_(seq.first.weight.transpose(1, 2).flatten(1, 2))
        img.first.bias.copy_(seq.first.bias)
    clip = torch.rand(2, 3, 2, 32, 64)
    stacked = clip.transpose(1, 2).flatten(1, 2)  # (N, T*C, H, W)
    assert torch.allclose(seq(clip)[:, :, 0], img(stacked), atol=1e-5)
    # A non-trivial check: the frames are not interchangeable for the sequence discriminator.
    assert not torch.allclose(seq(clip), seq(clip.flip(2)), atol=1e-5)


def test_discriminators_reject_wrong_shapes():
    with pytest.raises(ValueError, match='T >= 2'):
        SequenceDiscriminator(in_channels=3)(torch.rand(1, 3, 1, 32, 32))
    with pytest.raises(ValueError, match='SequenceDiscriminator'):
        FCDiscriminator(in_channels=3)(torch.rand(1, 3, 2, 32, 32))
    with pytest.raises(ValueError, match='widths'):
        FCDiscriminator(in_channels=3, widths=())


def test_gradient_reaches_the_input():
    disc = SequenceDiscriminator(in_channels=3, widths=(4, 8, 8, 8))
    x = torch.rand(1, 3, 2, 32, 32, requires_grad=True)
    F.binary_cross_entropy_with_logits(disc(x), torch.zeros(1, 1, 1, 1, 1)).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
