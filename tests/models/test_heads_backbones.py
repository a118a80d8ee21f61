import torch

from uda_toolbox.models.backbones import TinyConvNet
from uda_toolbox.models.heads import DeepLabV2Head


def test_tiny_convnet_output_stride_and_indices():
    net = TinyConvNet(out_indices=(3, 6))
    feats = net(torch.zeros(2, 3, 64, 128))
    assert [tuple(f.shape) for f in feats] == [(2, 48, 16, 32), (2, 64, 16, 32)]


def test_deeplabv2_head_is_a_sum_of_dilated_branches():
    head = DeepLabV2Head(in_channels=8, num_classes=5, dilations=(1, 2), in_index=0)
    head.init_weights()
    assert not hasattr(head, 'conv_seg')
    assert [b.dilation for b in head.aspp] == [(1, 1), (2, 2)]
    x = torch.randn(1, 8, 10, 12)
    out = head([x])
    assert out.shape == (1, 5, 10, 12)
    expected = head.aspp[0](x) + head.aspp[1](x)
    assert torch.allclose(out, expected)
    # DeepLabv2 initialises the classifier with N(0, 0.01).
    assert head.aspp[0].weight.std().item() < 0.02
