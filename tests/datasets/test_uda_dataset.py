"""UDADataset: every (source, target) pair, target metainfo, collation."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from PIL import Image

from uda_toolbox.datasets import ClipDataset, UDADataset
from uda_toolbox.registry import DATASETS

H, W = 12, 16
PIPELINE = [dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations'),
            dict(type='LoadClipFlow'), dict(type='ClipRandomCrop', crop_size=(8, 8)),
            dict(type='PackClipInputs')]


def write_domain(root: Path, clips: dict, labelled: bool) -> Path:
    """A tiny ``img/cls/flow`` tree (layout of interfaces.md) with ``clips`` = {clip: n}."""
    for clip, n_frames in clips.items():
        for f in range(n_frames):
            stem = f'{clip}_{f:05d}'
            for sub in ('img', 'cls', 'flow'):
                (root / sub / clip).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / 'img' / clip / f'{stem}.png'), np.full((H, W, 3), f, np.uint8))
            if labelled:
                Image.fromarray(np.full((H, W), f % 15, np.uint8)).save(
                    root / 'cls' / clip / f'{stem}.png')
            if f > 0:
                np.save(root / 'flow' / clip / f'{stem}_bw.npy', np.zeros((H, W, 2), np.float16))
    return root


def cfg(root: Path, **kwargs) -> dict:
    return dict(type='ClipDataset', data_root=str(root),
                data_prefix=dict(img_path='img', seg_map_path='cls', flow_path='flow'),
                pipeline=PIPELINE, **kwargs)


@pytest.fixture
def roots(tmp_path):
    src = write_domain(tmp_path / 'source', {'000': 3, '001': 2}, labelled=True)  # 3 pairs
    tgt = write_domain(tmp_path / 'target', {'000': 3, '001': 3}, labelled=False)  # 4 pairs
    init_default_scope('uda_toolbox')
    return src, tgt


def test_pairing_and_length(roots):
    src, tgt = roots
    target_meta = dict(classes=tuple(f'c{i}' for i in range(15)), palette=[[i, i, i]
                                                                             for i in range(15)])
    ds = DATASETS.build(dict(type='UDADataset', source=cfg(src),
                             target=cfg(tgt, metainfo=target_meta)))
    assert isinstance(ds, UDADataset) and len(ds) == 3 * 4
    assert ds.metainfo['classes'] == target_meta['classes']
    assert ds.metainfo['palette'] == target_meta['palette']
    seen = set()
    for i in range(len(ds)):
        item = ds[i]
        s_meta, t_meta = item['source']['meta'].metainfo, item['target']['meta'].metainfo
        s_info, t_info = ds.source.get_data_info(i // 4), ds.target.get_data_info(i % 4)
        assert (s_meta['clip_id'], s_meta['frame_ids']) == (s_info['clip_id'], s_info['frame_ids'])
        assert (t_meta['clip_id'], t_meta['frame_ids']) == (t_info['clip_id'], t_info['frame_ids'])
        seen.add((s_meta['clip_id'], tuple(s_meta['frame_ids']),
                  t_meta['clip_id'], tuple(t_meta['frame_ids'])))
        # Source labels are real, target labels are absent (all ignore).
        assert (item['source']['gt_seg'] != 255).all() and (item['target']['gt_seg'] == 255).all()
    assert len(seen) == 12  # every pair exactly once
    assert ds[-1]['target']['meta'].frame_ids == [1, 2]
    with pytest.raises(IndexError):
        ds[12]


def test_accepts_dataset_objects_and_lazy_init(roots):
    src, tgt = roots
    source = DATASETS.build(cfg(src, lazy_init=True))
    target = ClipDataset(**{k: v for k, v in cfg(tgt).items() if k != 'type'})
    ds = UDADataset(source=source, target=target, lazy_init=True)
    assert not source._fully_initialized
    ds.full_init()
    assert source._fully_initialized and len(ds) == 12
    assert ds.metainfo == target.metainfo
    with pytest.raises(TypeError, match='source'):
        UDADataset(source=5, target=target)


def test_pseudo_collate_of_two_items(roots):
    src, tgt = roots
    ds = UDADataset(source=cfg(src), target=cfg(tgt))
    batch = pseudo_collate([ds[0], ds[7]])
    assert set(batch) == {'source', 'target'}
    for domain in ('source', 'target'):
        inputs = batch[domain]['inputs']
        assert isinstance(inputs, list) and len(inputs) == 2
        assert all(isinstance(x, torch.Tensor) and x.shape == (2, 3, 8, 8) for x in inputs)
        assert len(batch[domain]['gt_seg']) == 2 and len(batch[domain]['flows']) == 2
        assert batch[domain]['flows'][0].shape == (1, 2, 8, 8)
    assert [m.clip_id for m in batch['source']['meta']] == ['000', '000']
    assert [m.clip_id for m in batch['target']['meta']] == ['000', '001']


def test_target_only_for_source_free_adaptation(roots):
    """source=None: every target item once, wrapped as {'target': item}, and no source dataset."""
    _, tgt = roots
    ds = UDADataset(source=None, target=cfg(tgt))
    assert ds.source is None and len(ds) == len(ds.target) == 4
    items = [ds[i] for i in range(len(ds))]
    assert all(set(item) == {'target'} for item in items)
    assert [item['target']['meta'].frame_ids for item in items] == \
        [ds.target.get_data_info(i)['frame_ids'] for i in range(4)]
    batch = pseudo_collate(items[:2])
    assert set(batch) == {'target'}
    with pytest.raises(IndexError):
        ds[4]
    assert 'source=None' in repr(ds)
