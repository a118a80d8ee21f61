"""DACS and DAFormer (feature distance + rare-class sampling; with MIC on the DeepLabv2 side) on both
model bases through tools/train.py: a run stopped after 2 iterations and resumed to 4 ends exactly
where an uninterrupted 4-iteration run ends (student, teacher, EMA counter, optimizer, schedulers).
The in-memory round trip of a MIC adaptor on MiT is in test_teacher.py."""
import importlib.util
from pathlib import Path

import pytest
import torch
from conftest import swap_model_base
from mmengine.config import Config

from uda_toolbox.data_prep.class_stats import compute_class_stats, write_class_stats
from uda_toolbox.registry import DATASETS, MODELS

REPO = Path(__file__).resolve().parents[2]
MODEL_BASES = REPO / 'configs/_base_/models'
# configs/mic/ is the DAFormer adaptor with mic=dict(...): DAFormer runs on both bases here.
CASES = [('dacs', 'tiny_deeplabv2'), ('dacs', 'tiny_mit'), ('daformer', 'tiny_daformer'),
         ('mic', 'tiny_deeplabv2')]

OVERRIDES = """
_base_ = [{config!r}]
load_from = None
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    source=dict(data_root={root!r}), target=dict(data_root={root!r}){rcs}))
val_dataloader = None
val_cfg = None
val_evaluator = None
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=5), logger=dict(interval=1))
# The length in the file, not in --cfg-options (which would scale the schedules to it,
# apis.schedule): the stopped run and the resumed one keep the config's schedules.
train_cfg = dict(max_iters={iters})
{model}
"""


@pytest.fixture(scope='module')
def train_tool():
    spec = importlib.util.spec_from_file_location('uda_tools_train', REPO / 'tools/train.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _config(tmp_path, method, model_base, tiny_pair, iters):
    swapped = swap_model_base(REPO / f'configs/{method}/synthetic.py',
                              MODEL_BASES / f'{model_base}.py', tmp_path)
    rcs, model = '', ''
    if method in ('daformer', 'mic'):
        cfg = Config.fromfile(str(swapped))
        # Rare-class sampling over the tiny pair's statistics (32 x 64 frames: >= 6 pixels).
        stats = tmp_path / 'class_stats.json'
        source = DATASETS.build(dict(cfg.train_dataloader.dataset.source, data_root=str(tiny_pair)))
        write_class_stats(compute_class_stats(source), str(stats))
        rcs = f', rare_class_sampling=dict(class_stats={str(stats)!r}, min_pixels=6)'
        # The feature distance against fake "ImageNet" weights: the initial backbone, saved.
        torch.manual_seed(123)
        backbone = MODELS.build(dict(cfg.model.segmentor.backbone))
        torch.save(backbone.state_dict(), tmp_path / 'imagenet.pth')
        model = (f"model = dict(feature_distance=dict(_delete_=True, loss_weight=0.005, "
                 f"classes=None, min_ratio=0.75, checkpoint={str(tmp_path / 'imagenet.pth')!r}))")
    path = tmp_path / f'run_{iters}.py'
    path.write_text(OVERRIDES.format(config=str(swapped), root=str(tiny_pair), rcs=rcs,
                                     model=model, iters=iters))
    return path


def _flat(obj, prefix=''):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _flat(value, f'{prefix}.{key}')
    elif isinstance(obj, (list, tuple)):
        for k, value in enumerate(obj):
            yield from _flat(value, f'{prefix}[{k}]')
    else:
        yield prefix, obj


@pytest.mark.parametrize('method,model_base', CASES)
def test_trains_and_resumes_exactly(method, model_base, tmp_path, tiny_pair, train_tool):
    config = _config(tmp_path, method, model_base, tiny_pair, 4)
    stopped = _config(tmp_path, method, model_base, tiny_pair, 2)
    full, split = tmp_path / 'full', tmp_path / 'split'
    train_tool.main([str(config), '--work-dir', str(full)])
    train_tool.main([str(stopped), '--work-dir', str(split)])
    train_tool.main([str(config), '--work-dir', str(split), '--resume'])
    a = torch.load(full / 'iter_4.pth', map_location='cpu')
    b = torch.load(split / 'iter_4.pth', map_location='cpu')
    state = a['state_dict']
    assert int(state['teacher_updates']) == 4
    assert any(k.startswith('teacher.') for k in state)
    # The teacher is an average of the student, not a copy of it any more.
    student = {k[len('segmentor.'):]: v for k, v in state.items() if k.startswith('segmentor.')}
    teacher = {k[len('teacher.'):]: v for k, v in state.items() if k.startswith('teacher.')}
    assert student.keys() == teacher.keys()
    assert any(not torch.equal(student[k], teacher[k]) for k in student if 'weight' in k)
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    for part in ('optimizer', 'param_schedulers'):
        flat_a, flat_b = dict(_flat(a[part])), dict(_flat(b[part]))
        assert flat_a.keys() == flat_b.keys()
        for key, value in flat_a.items():
            same = torch.equal(value, flat_b[key]) if torch.is_tensor(value) else value == flat_b[key]
            assert same, (part, key)
