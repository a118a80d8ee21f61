"""ClipDataset: scanning, pairing, modes and the errors on bad input."""
import os
import os.path as osp
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from PIL import Image

from uda_toolbox.datasets import ClipDataset
from uda_toolbox.registry import DATASETS

H, W = 16, 24


def write_tree(root: Path, clips: Dict[str, int],
               labelled: Callable[[int], bool] = lambda f: True,
               flows: bool = True, size: Tuple[int, int] = (H, W),
               label_fn: Optional[Callable[[str, int], np.ndarray]] = None) -> Path:
    """Write ``<root>/{img,cls,flow}/<clip>/<clip>_<FFFFF>...`` as interfaces.md lays it out."""
    h, w = size
    for c, (clip, n_frames) in enumerate(clips.items()):
        for f in range(n_frames):
            stem = f'{clip}_{f:05d}'
            img = np.full((h, w, 3), (c * 40 + f) % 256, np.uint8)
            img_path = root / 'img' / clip / f'{stem}.png'
            img_path.parent.mkdir(parents=True, exist_ok=True)
            assert cv2.imwrite(str(img_path), img)
            if labelled(f):
                label = (label_fn(clip, f) if label_fn else
                         np.full((h, w), (c + f) % 15, np.uint8))
                lab_path = root / 'cls' / clip / f'{stem}.png'
                lab_path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(label).save(lab_path)
            if flows:
                flow_dir = root / 'flow' / clip
                flow_dir.mkdir(parents=True, exist_ok=True)
                flow = np.full((h, w, 2), f, np.float16)
                if f > 0:
                    np.save(flow_dir / f'{stem}_bw.npy', flow)
                if f < n_frames - 1:
                    np.save(flow_dir / f'{stem}_fw.npy', -flow)
    return root


FULL_PREFIX = dict(img_path='img', seg_map_path='cls', flow_path='flow')


def make(root: Path, **kwargs) -> ClipDataset:
    kwargs.setdefault('data_prefix', FULL_PREFIX)
    # mmengine's serialisation runs gc.collect() (~0.2 s); the registry tests keep it on.
    kwargs.setdefault('serialize_data', False)
    return ClipDataset(data_root=str(root), **kwargs)


def frames_of(ds: ClipDataset):
    return [(ds.get_data_info(i)['clip_id'], ds.get_data_info(i)['frame_ids'])
            for i in range(len(ds))]


# ----------------------------------------------------------------------------- pairing


def test_train_pairs_tau1(tmp_path):
    write_tree(tmp_path, {'000': 4, '001': 3})
    ds = make(tmp_path)
    assert frames_of(ds) == [('000', [0, 1]), ('000', [1, 2]), ('000', [2, 3]),
                             ('001', [0, 1]), ('001', [1, 2])]
    info = ds.get_data_info(1)
    clip_dir = osp.join(str(tmp_path), 'img', '000')
    assert info['img_paths'] == [osp.join(clip_dir, '000_00001.png'),
                                 osp.join(clip_dir, '000_00002.png')]
    assert info['seg_map_paths'] == [osp.join(str(tmp_path), 'cls', '000', f'000_0000{f}.png')
                                     for f in (1, 2)]
    # One flow per consecutive pair: the backward flow of the later frame.
    assert info['flow_paths'] == [osp.join(str(tmp_path), 'flow', '000', '000_00002_bw.npy')]
    # ... and the other direction: the forward flow of the earlier frame.
    assert info['flow_fw_paths'] == [osp.join(str(tmp_path), 'flow', '000', '000_00001_fw.npy')]
    assert info['label_map'] is None and info['reduce_zero_label'] is False
    assert info['num_classes'] == 15


def test_train_pairs_tau2_have_no_flow(tmp_path):
    write_tree(tmp_path, {'000': 4, '001': 3})
    ds = make(tmp_path, tau=2)
    assert frames_of(ds) == [('000', [0, 2]), ('000', [1, 3]), ('001', [0, 2])]
    assert all(ds.get_data_info(i)['flow_paths'] == [None] for i in range(len(ds)))
    assert all(ds.get_data_info(i)['flow_fw_paths'] == [None] for i in range(len(ds)))


def test_labelled_only_keeps_pairs_with_labelled_last_frame(tmp_path):
    write_tree(tmp_path, {'000': 6, '001': 5}, labelled=lambda f: f % 2 == 1)
    ds = make(tmp_path, labelled_only=True)
    assert frames_of(ds) == [('000', [0, 1]), ('000', [2, 3]), ('000', [4, 5]),
                             ('001', [0, 1]), ('001', [2, 3])]
    info = ds.get_data_info(0)
    assert info['seg_map_paths'][0] is None and info['seg_map_paths'][1].endswith('000_00001.png')
    assert len(make(tmp_path)) == 5 + 4  # all pairs without the option


def test_test_mode_lists_annotated_frames_in_order(tmp_path):
    write_tree(tmp_path, {'001': 5, '000': 6}, labelled=lambda f: f in (1, 4))
    ds = make(tmp_path, mode='test')
    assert frames_of(ds) == [('000', [1]), ('000', [4]), ('001', [1]), ('001', [4])]
    info = ds.get_data_info(2)
    assert info['flow_paths'] == [] and len(info['img_paths']) == 1
    assert info['seg_map_paths'][0].endswith(osp.join('001', '001_00001.png'))


def test_clip_order_is_natural_and_clip_frames_in_time_order(tmp_path):
    write_tree(tmp_path, {'10': 3, '9': 2, '2': 2})
    ds = make(tmp_path)
    assert ds.clip_ids() == ['2', '9', '10']
    frames = ds.clip_frames('10')
    assert [f['frame_idx'] for f in frames] == [0, 1, 2]
    assert frames[0]['flow_bw_path'] is None and frames[0]['flow_fw_path'].endswith('_fw.npy')
    assert frames[2]['flow_fw_path'] is None and frames[2]['flow_bw_path'].endswith('_bw.npy')
    frames[0]['img_path'] = 'changed'  # copies: the dataset is not modified
    assert ds.clip_frames('10')[0]['img_path'] != 'changed'
    with pytest.raises(KeyError, match='unknown clip'):
        ds.clip_frames('nope')


def test_any_name_ending_with_frame_index_and_frame_gaps(tmp_path):
    clip_dir = tmp_path / 'img' / 'a'
    clip_dir.mkdir(parents=True)
    for f in (3, 4, 5, 7, 12):  # 12 sorts before 3 as a string
        cv2.imwrite(str(clip_dir / f'frame_{f:03d}.png'), np.zeros((H, W, 3), np.uint8))
    cv2.imwrite(str(clip_dir / '.frame_006.png.tmp.png'), np.zeros((H, W, 3), np.uint8))
    ds = ClipDataset(data_root=str(tmp_path), data_prefix=dict(img_path='img'))
    assert [f['frame_idx'] for f in ds.clip_frames('a')] == [3, 4, 5, 7, 12]
    assert frames_of(ds) == [('a', [3, 4]), ('a', [4, 5])]  # (7, 12) have no predecessor


def test_short_clip_skipped_with_warning(tmp_path):
    write_tree(tmp_path, {'000': 3, '001': 2})
    with pytest.warns(UserWarning, match="clip '001' has 2 frame"):
        ds = make(tmp_path, tau=2)
    assert frames_of(ds) == [('000', [0, 2])]
    # No clip long enough: an error, not an empty dataset.
    with pytest.raises(ValueError, match='no training item'), pytest.warns(UserWarning):
        make(tmp_path, tau=3)


def test_prefix_without_labels_or_flow(tmp_path):
    write_tree(tmp_path, {'000': 3})
    ds = ClipDataset(data_root=str(tmp_path), data_prefix=dict(img_path='img'))
    info = ds.get_data_info(0)
    assert info['seg_map_paths'] == [None, None] and info['flow_paths'] == [None]


def test_absolute_prefixes_without_data_root(tmp_path):
    write_tree(tmp_path, {'000': 3})
    ds = ClipDataset(data_prefix=dict(img_path=str(tmp_path / 'img'),
                                      seg_map_path=str(tmp_path / 'cls')), mode='test')
    assert len(ds) == 3


def test_label_map_is_checked(tmp_path):
    write_tree(tmp_path, {'000': 2})
    with pytest.raises(ValueError, match='label_map entry 7 -> 20'):
        make(tmp_path, label_map={7: 20})


# ----------------------------------------------------------------------------- errors


def test_missing_root_names_path_and_hint(tmp_path):
    missing = tmp_path / 'does_not_exist'
    hint = 'Generate it with: python tools/data/generate_synthetic.py --out data/synthetic'
    with pytest.raises(FileNotFoundError) as err:
        ClipDataset(data_root=str(missing), data_prefix=FULL_PREFIX, prepare_hint=hint)
    assert str(missing) in str(err.value) and hint in str(err.value)


def test_missing_prefix_dir_names_it(tmp_path):
    write_tree(tmp_path, {'000': 2}, flows=False)
    with pytest.raises(FileNotFoundError, match='flow directory.*flow'):
        make(tmp_path)
    with pytest.raises(FileNotFoundError, match='no clip directories'):
        (tmp_path / 'empty').mkdir()
        ClipDataset(data_root=str(tmp_path), data_prefix=dict(img_path='empty'))


def test_lazy_init_defers_scanning(tmp_path):
    ds = ClipDataset(data_root=str(tmp_path / 'later'), data_prefix=FULL_PREFIX, lazy_init=True)
    write_tree(tmp_path / 'later', {'000': 3})
    assert len(ds) == 2 and ds.clip_ids() == ['000']


def test_test_split_without_labels_is_an_error(tmp_path):
    write_tree(tmp_path, {'000': 3}, labelled=lambda f: False)
    (tmp_path / 'cls').mkdir()
    with pytest.raises(ValueError, match="mode='test' found no labels"):
        make(tmp_path, mode='test')
    with pytest.raises(ValueError, match="mode='test' needs labels"):
        ClipDataset(data_root=str(tmp_path), data_prefix=dict(img_path='img'), mode='test')
    with pytest.raises(ValueError, match='no pair has a labelled last frame'):
        make(tmp_path, labelled_only=True)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='mode'):
        ClipDataset(data_root=str(tmp_path), mode='val')
    with pytest.raises(ValueError, match='tau'):
        ClipDataset(data_root=str(tmp_path), tau=0)
    with pytest.raises(ValueError, match='labelled_only'):
        ClipDataset(data_root=str(tmp_path), data_prefix=dict(img_path='img'),
                    labelled_only=True)


# ----------------------------------------------------------------------------- with pipeline

TRAIN_PIPELINE = [
    dict(type='LoadClipFrames'),
    dict(type='LoadClipAnnotations'),
    dict(type='LoadClipFlow', with_forward=True),
    dict(type='ClipRandomResize', scale=(W, H), ratio_range=(1.0, 1.5)),
    dict(type='ClipRandomCrop', crop_size=(8, 12)),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='ClipPhotoMetricDistortion'),
    dict(type='PackClipInputs'),
]
TEST_PIPELINE = [
    dict(type='LoadClipFrames'),
    dict(type='ClipResize', scale=(2 * W, 2 * H), keep_ratio=True),
    dict(type='LoadClipAnnotations'),
    dict(type='PackFrameInputs'),
]


def test_registry_built_train_pipeline(tmp_path):
    write_tree(tmp_path, {'000': 3, '001': 3}, labelled=lambda f: f == 2)
    init_default_scope('uda_toolbox')
    ds = DATASETS.build(dict(type='ClipDataset', data_root=str(tmp_path),
                             data_prefix=FULL_PREFIX, pipeline=TRAIN_PIPELINE))
    assert isinstance(ds, ClipDataset) and len(ds) == 4
    np.random.seed(0)
    item = ds[1]
    assert item['inputs'].shape == (2, 3, 8, 12) and item['inputs'].dtype == torch.uint8
    assert item['gt_seg'].shape == (2, 8, 12) and item['gt_seg'].dtype == torch.uint8
    assert item['flows'].shape == (1, 2, 8, 12) and item['flows'].dtype == torch.float32
    assert item['meta'].clip_id == '000' and item['meta'].frame_ids == [1, 2]
    assert item['meta'].img_paths[1].endswith('000_00002.png')
    # Frame 1 is unlabelled (all 255); frame 2 of clip 000 is class (0 + 2) % 15 = 2.
    assert (item['gt_seg'][0] == 255).all() and (item['gt_seg'][1] == 2).all()
    # The stored flow of frame 2 is 2 everywhere; resizing by r >= 1 scales it.
    dx = item['flows'][0, 0].abs()
    assert torch.allclose(dx, dx[0, 0]) and 2.0 <= float(dx[0, 0]) <= 3.0 + 1e-3
    # The forward flow of frame 1 (stored -1 everywhere) went through the same resize and flip.
    assert item['flows_fw'].shape == (1, 2, 8, 12)
    assert torch.allclose(item['flows_fw'][0, 0], -item['flows'][0, 0] / 2)


def test_registry_built_test_pipeline_keeps_label_size(tmp_path):
    write_tree(tmp_path, {'000': 3}, labelled=lambda f: f == 1, flows=False)
    init_default_scope('uda_toolbox')
    ds = DATASETS.build(dict(type='ClipDataset', data_root=str(tmp_path), mode='test',
                             data_prefix=dict(img_path='img', seg_map_path='cls'),
                             pipeline=TEST_PIPELINE))
    assert len(ds) == 1
    item = ds[0]
    assert item['inputs'].shape == (3, 2 * H, 2 * W) and item['inputs'].dtype == torch.uint8
    sample = item['data_samples']
    assert sample.gt_sem_seg.data.shape == (1, H, W) and sample.gt_sem_seg.data.dtype == torch.int64
    assert sample.ori_shape == (H, W) and sample.img_shape == (2 * H, 2 * W)
    assert sample.clip_id == '000' and sample.frame_idx == 1
    assert sample.seg_map_path.endswith('000_00001.png') and sample.flip is False


def _loaded(tmp_path, idx=0, **kwargs):
    pipeline = [dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations'),
                dict(type='LoadClipFlow')]
    init_default_scope('uda_toolbox')
    ds = make(tmp_path, pipeline=pipeline, **kwargs)
    return ds[idx]


def test_missing_frame_file_is_named(tmp_path):
    write_tree(tmp_path, {'000': 3})
    init_default_scope('uda_toolbox')
    ds = make(tmp_path, pipeline=[dict(type='LoadClipFrames')])
    os.remove(tmp_path / 'img' / '000' / '000_00001.png')
    with pytest.raises(FileNotFoundError, match='000_00001.png'):
        ds[0]


def test_corrupt_and_truncated_frames_are_named(tmp_path):
    write_tree(tmp_path, {'000': 3})
    path = tmp_path / 'img' / '000' / '000_00001.png'
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(OSError, match='truncated.*000_00001.png'):
        _loaded(tmp_path)
    path.write_bytes(b'not an image at all')
    with pytest.raises(OSError, match='could not be decoded.*000_00001.png'):
        _loaded(tmp_path)


def test_truncated_label_and_flow_are_named(tmp_path):
    write_tree(tmp_path, {'000': 3})
    lab = tmp_path / 'cls' / '000' / '000_00001.png'
    good = lab.read_bytes()
    lab.write_bytes(good[:-20])
    with pytest.raises(OSError, match='000_00001.png'):
        _loaded(tmp_path)
    lab.write_bytes(good)
    flow = tmp_path / 'flow' / '000' / '000_00001_bw.npy'
    flow.write_bytes(flow.read_bytes()[:-50])
    with pytest.raises(OSError, match='000_00001_bw.npy'):
        _loaded(tmp_path)


def test_out_of_range_label_is_named_with_values(tmp_path):
    def label_fn(clip, f):
        label = np.zeros((H, W), np.uint8)
        label[0, :3] = (15, 200, 255)  # 255 is fine, 15 and 200 are not
        return label
    write_tree(tmp_path, {'000': 2}, label_fn=label_fn)
    with pytest.raises(ValueError) as err:
        _loaded(tmp_path)
    msg = str(err.value)
    assert '000_00000.png' in msg and '[15, 200]' in msg and 'label_map' in msg


def test_label_map_maps_raw_ids_and_palette_labels_give_indices(tmp_path):
    write_tree(tmp_path, {'000': 2}, flows=False, labelled=lambda f: False)
    lab_dir = tmp_path / 'cls' / '000'
    lab_dir.mkdir(parents=True)
    raw = np.zeros((H, W), np.uint8)
    raw[:, 8:] = 7
    raw[:, 16:] = 26
    raw[0, 0] = 99
    for f in range(2):
        pil = Image.frombytes('P', (W, H), raw.tobytes()) if f else Image.fromarray(raw)
        if f:
            pil.putpalette([v for i in range(256) for v in (i, 255 - i, 3 * i % 256)])
        pil.save(lab_dir / f'000_0000{f}.png')
    assert Image.open(lab_dir / '000_00001.png').mode == 'P'
    init_default_scope('uda_toolbox')
    ds = ClipDataset(data_root=str(tmp_path), data_prefix=dict(img_path='img', seg_map_path='cls'),
                     label_map={7: 0, 26: 11, 0: 255},
                     pipeline=[dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations')])
    segs = ds[0]['gt_seg_maps']
    expected = np.full((H, W), 255, np.uint8)
    expected[:, 8:16] = 0
    expected[:, 16:] = 11
    for seg in segs:
        np.testing.assert_array_equal(seg, expected)


def test_frame_label_size_mismatch_names_both(tmp_path):
    write_tree(tmp_path, {'000': 2})
    Image.fromarray(np.zeros((H + 1, W), np.uint8)).save(tmp_path / 'cls' / '000' / '000_00001.png')
    with pytest.raises(ValueError) as err:
        _loaded(tmp_path)
    assert 'cls/000/000_00001.png' in str(err.value) and 'img/000/000_00001.png' in str(err.value)


def test_frame_flow_size_mismatch_names_both(tmp_path):
    write_tree(tmp_path, {'000': 2})
    np.save(tmp_path / 'flow' / '000' / '000_00001_bw.npy', np.zeros((H, W - 2, 2), np.float16))
    with pytest.raises(ValueError) as err:
        _loaded(tmp_path)
    assert '000_00001_bw.npy' in str(err.value) and 'img/000/000_00001.png' in str(err.value)


def test_frames_of_one_clip_differing_in_size(tmp_path):
    write_tree(tmp_path, {'000': 2}, flows=False)
    cv2.imwrite(str(tmp_path / 'img' / '000' / '000_00001.png'), np.zeros((H, W + 4, 3), np.uint8))
    init_default_scope('uda_toolbox')
    ds = ClipDataset(data_root=str(tmp_path), data_prefix=dict(img_path='img'),
                     pipeline=[dict(type='LoadClipFrames')])
    with pytest.raises(ValueError, match='differ in size'):
        ds[0]


def test_flow_missing_for_tau2_is_a_clear_error(tmp_path):
    write_tree(tmp_path, {'000': 3})
    with pytest.raises(FileNotFoundError, match='no backward flow.*tau=1'):
        _loaded(tmp_path, tau=2)
