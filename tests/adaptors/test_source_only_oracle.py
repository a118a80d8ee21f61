import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmseg.structures import SegDataSample

from uda_toolbox.registry import MODELS


def _clip_batch(n=2, t=2, h=32, w=64, labelled=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (t, 3, h, w), dtype=torch.uint8, generator=g)
              for _ in range(n)]
    if labelled:
        gt = [torch.randint(0, 3, (t, h, w), dtype=torch.uint8, generator=g) for _ in range(n)]
    else:
        gt = [torch.full((t, h, w), 255, dtype=torch.uint8) for _ in range(n)]
    return dict(inputs=inputs, gt_seg=gt,
                meta=dict(clip_id=['000'] * n, frame_ids=[[0, 1]] * n, img_paths=[[]] * n))


def _build(repo_root, method, **kwargs):
    cfg = Config.fromfile(str(repo_root / 'configs/source_only/synthetic.py'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(type=method, **kwargs)
    torch.manual_seed(0)
    return MODELS.build(model_cfg)


def _params(model):
    return [p.detach().clone() for p in model.segmentor.parameters()]


@pytest.mark.parametrize('method,domain', [('SourceOnly', 'source'), ('Oracle', 'target')])
def test_step_learns_from_its_domain_only(repo_root, method, domain):
    model = _build(repo_root, method)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    other = 'target' if domain == 'source' else 'source'
    data = {domain: _clip_batch(labelled=True), other: _clip_batch(labelled=True, seed=1)}
    before = _params(model)
    log_vars = model.train_step(data, wrapper)
    key = 'loss_seg_src' if domain == 'source' else 'loss_seg_tgt'
    assert set(log_vars) == {'loss', key}
    assert torch.isfinite(log_vars['loss']) and log_vars['loss'] > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, _params(model)))


def test_unlabelled_batch_gives_zero_loss_not_nan(repo_root):
    model = _build(repo_root, 'Oracle')
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    data = dict(source=_clip_batch(), target=_clip_batch(labelled=False))
    before = _params(model)
    log_vars = model.train_step(data, wrapper)
    assert log_vars['loss'].item() == 0.0
    assert all(torch.equal(a, b) for a, b in zip(before, _params(model)))


def test_target_bn_updates_running_stats_from_target(repo_root):
    stats = {}
    for target_bn in (False, True):
        model = _build(repo_root, 'SourceOnly', target_bn=target_bn)
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0))
        data = dict(source=_clip_batch(), target=_clip_batch(labelled=False, seed=3))
        model.train_step(data, wrapper)
        bn = model.segmentor.backbone.layers[0].bn
        stats[target_bn] = (bn.running_mean.clone(), int(bn.num_batches_tracked))
    assert stats[False][1] == 1 and stats[True][1] == 2
    assert not torch.allclose(stats[False][0], stats[True][0])


def test_predict_delegates_to_segmentor(repo_root):
    model = _build(repo_root, 'SourceOnly').eval()
    sample = SegDataSample(metainfo=dict(img_shape=(32, 64), ori_shape=(32, 64)))
    data = dict(inputs=[torch.randint(0, 256, (3, 32, 64), dtype=torch.uint8)],
                data_samples=[sample])
    with torch.no_grad():
        out = model.test_step(data)
        direct = model.segmentor.predict(model.data_preprocessor(data)['inputs'], [sample])
    assert out[0].pred_sem_seg.data.shape == (1, 32, 64)
    assert torch.equal(out[0].pred_sem_seg.data, direct[0].pred_sem_seg.data)
    with pytest.raises(ValueError, match='train_step'):
        model(torch.zeros(1, 3, 32, 64), mode='loss')
