"""ImageNet ResNet weights of torchvision / mmpretrain converted for the backbone, on tiny fakes
(a ResNet-18 with 4 base channels) in both layouts."""
import importlib.util
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from mmengine.runner.checkpoint import load_checkpoint

from uda_toolbox.apis import convert_backbone_checkpoint
from uda_toolbox.models.backbones.convert import convert_resnet_state_dict, resnet_backbone
from uda_toolbox.utils.checkpoint import CheckpointError

REPO = Path(__file__).resolve().parents[2]
TINY = dict(base_channels=4, stem_channels=4)


def _tiny_weights():
    """A torchvision-style ResNet-18 state dict: the backbone's names (random values) + fc."""
    torch.manual_seed(0)
    backbone = resnet_backbone(18, **TINY).state_dict()
    weights = OrderedDict((k, torch.randn(v.shape) if v.is_floating_point() else v)
                          for k, v in backbone.items())
    return weights, OrderedDict(weights, **{'fc.weight': torch.randn(1000, 32),
                                            'fc.bias': torch.randn(1000)})


@pytest.mark.parametrize('layout', ['torchvision', 'mmpretrain'])
def test_converted_weights_load_into_the_backbone_exactly(tmp_path, layout):
    weights, torchvision = _tiny_weights()
    if layout == 'torchvision':
        checkpoint = torchvision  # a bare state dict, as torchvision's model zoo files
    else:  # mmpretrain: under state_dict, backbone.* and head.fc.*, plus meta
        checkpoint = dict(meta=dict(mmpretrain_version='1.2.0'), state_dict=OrderedDict(
            [(f'backbone.{k}', v) for k, v in weights.items()]
            + [('head.fc.weight', torchvision['fc.weight']), ('head.fc.bias', torchvision['fc.bias'])]))
    src, dst = tmp_path / 'src.pth', tmp_path / 'out' / 'resnet.pth'
    torch.save(checkpoint, src)
    counts = convert_backbone_checkpoint(str(src), str(dst), depth=18, **TINY)
    assert counts['tensors'] == len(weights)
    saved = torch.load(dst, weights_only=True)
    assert saved['meta']['source'] == layout and list(saved['state_dict']) == list(weights)
    # What init_cfg=dict(type='Pretrained', checkpoint=dst) does: every weight lands in place.
    model = resnet_backbone(18, **TINY)
    load_checkpoint(model, str(dst), strict=True)
    for key, value in model.state_dict().items():
        assert torch.equal(value, weights[key]), key


def test_wrong_depth_or_not_a_resnet_is_an_error(tmp_path):
    _, torchvision = _tiny_weights()
    src = tmp_path / 'src.pth'
    torch.save(torchvision, src)
    with pytest.raises(CheckpointError, match=r'do not fit the backbone: missing'):
        convert_backbone_checkpoint(str(src), str(tmp_path / 'x.pth'), depth=50, **TINY)
    assert not (tmp_path / 'x.pth').exists()
    with pytest.raises(CheckpointError, match='not a ResNet checkpoint'):
        convert_resnet_state_dict({'encoder.weight': torch.zeros(1)})


def test_tool_converts_a_torchvision_file(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('convert_backbone', REPO / 'tools' / 'convert_backbone.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    _, torchvision = _tiny_weights()
    torch.save(torchvision, tmp_path / 'resnet18.pth')
    # --depth 0 skips the check against ResNet-50 (the fake is a tiny ResNet-18).
    assert tool.main([str(tmp_path / 'resnet18.pth'), str(tmp_path / 'r.pth'), '--depth', '0']) == 0
    assert 'tensors' in capsys.readouterr().out and (tmp_path / 'r.pth').is_file()
