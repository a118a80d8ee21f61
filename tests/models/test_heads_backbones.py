import torch

from uda_toolbox.models.backbones import TinyConvNet
from uda_toolbox.models.heads import DAFormerHead, DeepLabV2Head


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


def test_daformer_head_embeds_upsamples_and_fuses_every_level():
    head = DAFormerHead(in_channels=[4, 6, 8, 10], in_index=[0, 1, 2, 3], channels=12,
                        embed_dims=5, fusion_dilations=(1, 6, 12, 18), num_classes=3,
                        norm_cfg=dict(type='BN'), dropout_ratio=0.0)
    head.eval()
    levels = [torch.randn(2, c, 16 // 2 ** i, 20 // 2 ** i) for i, c in enumerate([4, 6, 8, 10])]
    assert head(levels).shape == (2, 3, 16, 20)  # level 0's size (1/4 of the image on MiT)
    # Per-token linear embeddings to 5 channels; the fusion sees 4 x 5 = 20 channels.
    assert [e.in_features for e in head.embeds] == [4, 6, 8, 10]
    assert {e.out_features for e in head.embeds} == {5}
    assert head.fusion[0].conv.kernel_size == (1, 1)  # dilation 1: a 1 x 1 branch
    branch = head.fusion[1]  # dilation 6: depthwise 3 x 3, then pointwise, each with BN + ReLU
    assert branch.depthwise_conv.conv.dilation == (6, 6)
    assert branch.depthwise_conv.conv.groups == 20 and branch.pointwise_conv.conv.out_channels == 12
    assert head.bottleneck.conv.in_channels == 4 * 12 and head.bottleneck.conv.kernel_size == (3, 3)
    # The coarsest level reaches the output (it is upsampled and fused, not dropped).
    other = [f.clone() for f in levels]
    other[3] += 1
    assert not torch.allclose(head(levels), head(other))
