"""CityscapesVPSDataset on tiny trees in the release's layout: clip order, positions, labels."""
import numpy as np
import pytest
from fake_benchmark_data import (
    make_vps_tree,
    truncate,
    vps_annotated_name,
    vps_clip,
    vps_train_ids,
)
from PIL import Image

from uda_toolbox.data_prep import cityscapes_vps as vps_prep
from uda_toolbox.data_prep.cityscapes_vps import cityscapes_lookup_table, read_vps_label
from uda_toolbox.datasets.cityscapes_vps import (
    CITYSCAPES_TRAIN_ID_CLASSES,
    CityscapesVPSDataset,
    cityscapes_label_map,
    label_name,
    parse_image_name,
)
from uda_toolbox.datasets.transforms import LoadClipAnnotations, LoadClipFrames
from uda_toolbox.utils.classes import VIDEO_UDA_CLASSES
from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError

# Cityscapes trainId (cityscapesScripts labels.py) -> expected 15-class train id, by name.
EXPECTED = {'road': 'road', 'sidewalk': 'sidewalk', 'building': 'building', 'wall': None,
            'fence': 'fence', 'pole': 'pole', 'traffic light': 'traffic light',
            'traffic sign': 'traffic sign', 'vegetation': 'vegetation', 'terrain': 'terrain',
            'sky': 'sky', 'person': 'person', 'rider': None, 'car': 'car', 'truck': 'truck',
            'bus': 'bus', 'train': None, 'motorcycle': 'motorbike', 'bicycle': None}


@pytest.fixture
def tree(tmp_path):
    return make_vps_tree(tmp_path / 'cityscapes_vps', tmp_path / 'leftImg8bit_sequence' / 'val')


def build(tree, **kwargs):
    root, seq_root = tree
    kwargs.setdefault('labels', 'raw')
    return CityscapesVPSDataset(data_root=str(root), sequence_root=str(seq_root), **kwargs)


def test_label_mapping_of_every_train_id():
    lut = cityscapes_lookup_table()
    for train_id, name in enumerate(CITYSCAPES_TRAIN_ID_CLASSES):
        target = EXPECTED[name]
        assert lut[train_id] == (255 if target is None else VIDEO_UDA_CLASSES.index(target)), name
    assert lut[255] == 255
    assert sorted(cityscapes_label_map().values()) == list(range(15))


def test_names():
    name = '0005_0028_munster_000004_000519_leftImg8bit.png'
    assert parse_image_name(name) == dict(video='0005', index=28, city='munster', seq='000004',
                                          frame=519, kind='leftImg8bit')
    assert label_name(name) == '0005_0028_munster_000004_000519_gtFine_color.png'
    assert label_name(name.replace('leftImg8bit', 'newImg8bit')).endswith('_final_mask.png')
    assert parse_image_name('frankfurt_000000_000294_leftImg8bit.png') is None


def test_train_clips_all_frames_in_order(tree):
    ds = build(tree, split='train', mode='train')
    assert ds.clip_ids() == ['0001', '0002']
    assert len(ds) == 2 * 29
    frames = ds.clip_frames('0001')
    assert [f['frame_idx'] for f in frames] == list(range(30))
    clip = vps_clip(1)
    annotated = {f['frame_idx']: f['img_path'] for f in frames if '/train/img/' in f['img_path']}
    assert sorted(annotated) == [4, 9, 14, 19, 24, 29]  # 0-based positions of the 6 labels
    assert annotated[19].endswith(vps_annotated_name(1, 4))  # F20 keeps _leftImg8bit
    assert frames[0]['img_path'].endswith(
        f'{clip["city"]}/{clip["city"]}_{clip["seq"]}_{clip["first"]:06d}_leftImg8bit.png')
    assert all(f['seg_map_path'] is None for f in frames)  # UDA: unlabelled target clips
    info = ds.get_data_info(30)  # clip 0002, pair (1, 2)
    assert info['clip_id'] == '0002' and info['frame_ids'] == [1, 2]
    imgs = LoadClipFrames()(dict(info))['imgs']
    assert [int(img[0, 0, 0]) for img in imgs] == [8 * 1 + 2, 8 * 2 + 2]  # position, clip


def test_val_test_mode_annotated_frames_and_labels(tree):
    ds = build(tree, split='val', mode='test')
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [(i['clip_id'], i['frame_ids']) for i in infos] == [
        ('0005', [p]) for p in (4, 9, 14, 19, 24, 29)]
    results = LoadClipAnnotations()(LoadClipFrames()(dict(infos[2])))
    assert int(results['imgs'][0][0, 0, 0]) == 8 * 14 + 5
    expected = cityscapes_lookup_table()[vps_train_ids(5, 14)]
    assert np.array_equal(results['gt_seg_maps'][0], expected)
    # Unannotated val frames come from val/img_all, no sequence root needed.
    root, _ = tree
    train_mode = CityscapesVPSDataset(data_root=str(root), split='val', mode='train')
    assert '/val/img_all/' in train_mode.clip_frames('0005')[0]['img_path']


def test_oracle_labelled_pairs_and_converted_labels(tree):
    ds = build(tree, split='train', mode='train', with_labels=True, labelled_only=True)
    assert len(ds) == 12
    info = ds.get_data_info(0)
    assert info['frame_ids'] == [3, 4] and info['seg_map_paths'][0] is None
    assert info['seg_map_paths'][1].endswith(vps_annotated_name(1, 1, suffix='label'))
    assert vps_prep.convert(str(tree[0])).ok
    conv = build(tree, split='train', mode='train', with_labels=True, labels='converted',
                 labelled_only=True)
    path = conv.get_data_info(0)['seg_map_paths'][1]
    assert '/train/cls15/' in path and conv.get_data_info(0)['label_map'] is None
    assert np.array_equal(np.array(Image.open(path)), cityscapes_lookup_table()[vps_train_ids(1, 4)])


def test_missing_root_sequence_root_and_frame(tmp_path, tree):
    with pytest.raises(DataNotFoundError, match='tools/data/cityscapes_vps.py') as err:
        CityscapesVPSDataset(data_root=str(tmp_path / 'none'), mode='test', split='val')
    assert 'none' in str(err.value)
    root, seq_root = tree
    with pytest.raises(DataNotFoundError, match='sequence_root'):
        CityscapesVPSDataset(data_root=str(root), split='train', mode='train')
    clip = vps_clip(2)
    name = f'{clip["city"]}_{clip["seq"]}_{clip["first"] + 7:06d}_leftImg8bit.png'
    missing = seq_root / clip['city'] / name
    missing.unlink()
    with pytest.raises(DataNotFoundError, match='frame 7 of clip 0002') as err:
        build(tree, split='train', mode='train')
    assert missing.name in str(err.value)
    assert len(build(tree, split='train', mode='test')) == 12  # test mode needs annotated only


def test_missing_flow_cache_names_the_compute_flow_command(tree):
    root, seq_root = tree
    with pytest.raises(DataNotFoundError, match='flow directory') as err:
        build(tree, split='train', flow_root='train/flow')
    assert (f'python tools/data/compute_flow.py {root}/train --sequence-root {seq_root}'
            in str(err.value))
    with pytest.raises(DataNotFoundError, match=f'--out {root}/cache/flow'):
        build(tree, split='train', flow_root='cache/flow')


def test_malformed_clips_and_labels(tmp_path, tree):
    root, _ = tree
    # A clip with frames but no labels.
    for k in range(1, 7):
        (root / 'train/labelmap' / vps_annotated_name(2, k, suffix='label')).unlink()
    with pytest.raises(DataFormatError, match='clip 0002 has 6 annotated frames') as err:
        build(tree, split='train', mode='test')
    assert 'labelmap' in str(err.value)
    # A clip that lost an annotated frame.
    (root / 'val/img' / vps_annotated_name(5, 3)).unlink()
    with pytest.raises(DataFormatError, match='clip 0005'):
        build(tree, split='val', mode='test')
    # Label values outside the trainIds, and a truncated label.
    bad = tmp_path / 'bad.png'
    Image.fromarray(np.full((4, 4), 33, np.uint8)).save(bad)
    with pytest.raises(DataFormatError, match=r'values \[33\] outside the Cityscapes trainIds') as err:
        read_vps_label(str(bad))
    assert 'bad.png' in str(err.value)
    Image.fromarray(np.zeros((16, 32), np.uint8)).save(tmp_path / 'cut.png')
    truncate(tmp_path / 'cut.png')
    with pytest.raises(DataFormatError, match='cut.png'):
        read_vps_label(str(tmp_path / 'cut.png'))
    # An empty split.
    (tmp_path / 'empty/val/img').mkdir(parents=True)
    (tmp_path / 'empty/val/labelmap').mkdir(parents=True)
    with pytest.raises(DataNotFoundError, match='empty'):
        CityscapesVPSDataset(data_root=str(tmp_path / 'empty'), split='val', mode='test',
                             labels='raw')


def test_label_size_mismatch_is_an_error_when_loaded(tree):
    root, _ = tree
    Image.fromarray(np.zeros((8, 32), np.uint8)).save(
        root / 'val/labelmap' / vps_annotated_name(5, 1, suffix='label'))
    info = build(tree, split='val', mode='test').get_data_info(0)
    with pytest.raises(ValueError, match='final_mask.png'):
        LoadClipAnnotations()(LoadClipFrames()(dict(info)))


def test_vpq_windows_see_annotated_frames_five_apart(tree):
    from uda_toolbox.evaluation.metrics import frames_per_window

    ds = build(tree, split='val', mode='test')
    ids = [ds.get_data_info(i)['frame_ids'][0] for i in range(len(ds))]
    assert np.diff(ids).tolist() == [5] * 5
    assert [frames_per_window(k, 5) for k in (0, 5, 10, 15)] == [1, 2, 3, 4]
