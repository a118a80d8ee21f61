"""Items of the two-frame methods: (t-2, t-1, t) clips, test items with frame t-1 and its flow, and
DA-VSN / TPS's own flow files (flat directory, int16 x 10, lower resolution)."""
import cv2
import numpy as np
import pytest
import torch
from fake_benchmark_data import make_viper_tree, make_vps_tree
from mmengine.dataset import Compose, pseudo_collate
from PIL import Image

from uda_toolbox.datasets import CityscapesVPSDataset, ClipDataset, VIPERDataset
from uda_toolbox.datasets.transforms import (
    ClipResize,
    LoadClipFlow,
    LoadClipFrames,
    PackFrameInputs,
)
from uda_toolbox.models import ClipSegDataPreProcessor
from uda_toolbox.utils.errors import DataFormatError
from uda_toolbox.utils.flow_io import write_original_flow
from uda_toolbox.utils.normalize import normalize


def _clip_tree(root, frames=6, labelled=(4,)):
    for f in range(frames):
        stem = f'c0_{f:05d}'
        (root / 'img' / 'c0').mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / 'img' / 'c0' / f'{stem}.png'), np.full((8, 12, 3), 10 * f, np.uint8))
        if f in labelled:
            (root / 'cls' / 'c0').mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.zeros((8, 12), np.uint8)).save(root / 'cls' / 'c0' / f'{stem}.png')
        if f > 0:
            (root / 'flow' / 'c0').mkdir(parents=True, exist_ok=True)
            np.save(root / 'flow' / 'c0' / f'{stem}_bw.npy', np.full((8, 12, 2), f, np.float16))
    return root


def _make(root, **kwargs):
    return ClipDataset(data_root=str(root), serialize_data=False,
                       data_prefix=dict(img_path='img', seg_map_path='cls', flow_path='flow'), **kwargs)


def test_train_items_of_three_frames_and_test_items_with_their_previous_frame(tmp_path):
    root = _clip_tree(tmp_path)
    train = _make(root, mode='train', num_frames=3)
    assert [train.get_data_info(i)['frame_ids'] for i in range(len(train))] == \
        [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]
    first = train.get_data_info(0)['flow_paths']  # flows[k]: frame k + 1 -> frame k
    assert first[0].endswith('c0_00001_bw.npy') and first[1].endswith('c0_00002_bw.npy')
    test = _make(root, mode='test', num_frames=2)
    assert len(test) == 1 and test[0]['frame_ids'] == [3, 4]
    assert test.get_data_info(0)['flow_paths'][0].endswith('c0_00004_bw.npy')
    assert _make(root, mode='test')[0]['frame_ids'] == [4]  # default: the frame alone
    # An annotated first frame has no t-1: an error, not a silently smaller test set.
    bad = _clip_tree(tmp_path / 'bad', labelled=(0, 4))
    with pytest.raises(DataFormatError, match='c0_00000.png.*num_frames=1'):
        _make(bad, mode='test', num_frames=2)
    with pytest.raises(ValueError, match='num_frames'):
        _make(root, mode='train', num_frames=1)


def test_test_pipeline_packs_previous_frame_and_flow_and_the_preprocessor_normalises(tmp_path):
    root = _clip_tree(tmp_path)
    ds = _make(root, mode='test', num_frames=2,
               pipeline=[LoadClipFrames(), LoadClipFlow(), PackFrameInputs()])
    item = ds[0]
    assert item['inputs'].shape == (3, 8, 12) and int(item['inputs'][0, 0, 0]) == 40
    assert item['previous'].shape == (1, 3, 8, 12) and int(item['previous'][0, 0, 0, 0]) == 30
    assert item['flows'].shape == (1, 2, 8, 12) and float(item['flows'][0, 0, 0, 0]) == 4.0
    assert item['data_samples'].frame_idx == 4
    stats = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
    pre = ClipSegDataPreProcessor(**stats)
    out = pre(pseudo_collate([item, item]), False)
    assert out['previous'].shape == (2, 1, 3, 8, 12) and out['flows'].shape == (2, 1, 2, 8, 12)
    expected = normalize(torch.stack([item['previous']] * 2).float(), **stats)
    assert torch.allclose(out['previous'], expected)
    assert torch.allclose(out['inputs'], normalize(torch.stack([item['inputs']] * 2).float(), **stats))


def test_viper_with_original_flow_files_at_lower_resolution(tmp_path):
    root = make_viper_tree(tmp_path / 'viper', sequences={'001': ('day', 3)})  # 24x32 frames
    flow_dir = tmp_path / 'flow_viper'
    flow_dir.mkdir()
    # DA-VSN / TPS name: <SSS>_<t><t-1>_int16_x10.npy; stored at half the frame size (12x16)
    low = np.zeros((12, 16, 2), np.float32)
    low[..., 0], low[..., 1] = 1.5, -0.5
    write_original_flow(flow_dir / '001_0000200001_int16_x10.npy', low)
    ds = VIPERDataset(data_root=str(root), split='train', labels='raw', condition=None, index_file=None,
                      flow_root=str(flow_dir), flow_naming='viper', mode='train',
                      serialize_data=False,
                      pipeline=[LoadClipFrames(), LoadClipFlow(resize_to_frame='height')])
    assert [ds.get_data_info(i)['frame_ids'] for i in range(len(ds))] == [[0, 1], [1, 2]]
    assert ds.get_data_info(0)['flow_paths'] == [None]  # no file for (1, 0)
    flows = ds[1]['flows']
    assert len(flows) == 1 and flows[0].shape == (24, 32, 2)
    # resized to the frame and multiplied by the height ratio 24 / 12 = 2 (both components)
    np.testing.assert_allclose(flows[0][..., 0], 3.0, atol=1e-6)
    np.testing.assert_allclose(flows[0][..., 1], -1.0, atol=1e-6)
    # after ClipResize it goes to the frames' current size: here the file's own 12x16, unscaled
    ds.pipeline = Compose([LoadClipFrames(), ClipResize(scale=(16, 12), keep_ratio=False),
                           LoadClipFlow(resize_to_frame='height')])
    np.testing.assert_allclose(ds[1]['flows'][0], low)
    with pytest.raises(DataFormatError, match="resize_to_frame='height'"):
        LoadClipFlow()(dict(ds.get_data_info(1), ori_shape=(24, 32)))


def test_cityscapes_vps_test_items_carry_the_frame_before_each_annotated_one(tmp_path):
    root, seq_root = make_vps_tree(tmp_path / 'vps', tmp_path / 'seq', splits={'val': (5,)})
    ds = CityscapesVPSDataset(data_root=str(root), split='val', labels='raw', mode='test',
                              num_frames=2, serialize_data=False)
    assert [item['frame_ids'] for item in ds] == [[p - 1, p] for p in (4, 9, 14, 19, 24, 29)]
    previous = ds[0]['img_paths'][0]
    assert 'img_all' in previous and previous.endswith('_000503_leftImg8bit.png')
    assert ds[0]['seg_map_paths'][0] is None and ds[0]['seg_map_paths'][1] is not None
