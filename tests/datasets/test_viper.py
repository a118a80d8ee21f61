"""VIPERDataset and the VIPER label helpers on tiny trees in the official layout."""
import json

import numpy as np
import pytest
from fake_benchmark_data import (
    VIPER_SIZE,
    make_viper_tree,
    truncate,
    viper_frame,
    viper_ids,
    write_viper_label,
)
from PIL import Image

from uda_toolbox.data_prep import viper as viper_prep
from uda_toolbox.data_prep.viper import convert_viper_ids, read_viper_label, remove_ego_vehicle
from uda_toolbox.datasets.transforms import LoadClipAnnotations, LoadClipFrames
from uda_toolbox.datasets.viper import (
    VIPER_CLASSES,
    VIPER_PALETTE,
    VIPERDataset,
    read_conditions,
    scan_viper_split,
    viper_label_map,
)
from uda_toolbox.utils.classes import VIDEO_UDA_CLASSES
from uda_toolbox.utils.errors import DataError, DataFormatError, DataNotFoundError

# Every VIPER id of classes.csv -> the expected 15-class train id (255 = ignored), by name.
EXPECTED = {
    'unlabeled': None, 'ambiguous': None, 'sky': 'sky', 'road': 'road', 'sidewalk': 'sidewalk',
    'railtrack': None, 'terrain': 'terrain', 'tree': 'vegetation', 'vegetation': 'vegetation',
    'building': 'building', 'infrastructure': 'pole', 'fence': 'fence', 'billboard': None,
    'trafficlight': 'traffic light', 'trafficsign': 'traffic sign', 'mobilebarrier': None,
    'firehydrant': None, 'chair': None, 'trash': None, 'trashcan': None, 'person': 'person',
    'animal': None, 'bicycle': None, 'motorcycle': 'motorbike', 'car': 'car', 'van': None,
    'bus': 'bus', 'truck': 'truck', 'trailer': None, 'train': None, 'plane': None, 'boat': None,
}


def expected_train_id(viper_id: int) -> int:
    name = EXPECTED[VIPER_CLASSES[viper_id]]
    return 255 if name is None else VIDEO_UDA_CLASSES.index(name)


@pytest.fixture
def viper_root(tmp_path):
    return make_viper_tree(tmp_path / 'viper')


def build(root, **kwargs):
    kwargs.setdefault('labels', 'raw')
    return VIPERDataset(data_root=str(root), **kwargs)


def test_label_mapping_of_every_id():
    ids = np.arange(32, dtype=np.uint8).reshape(4, 8)
    ids[3, 4] = 3  # bottom-centre pixel is road: no ego vehicle
    out = convert_viper_ids(ids, ignore_ego_vehicle=False)
    for viper_id in range(32):
        if (ids == viper_id).any():
            assert set(out[ids == viper_id].tolist()) == {expected_train_id(viper_id)}, viper_id
    assert expected_train_id(12) == 255 and out[ids == 12].tolist() == [255]  # billboard ignored
    # Every one of the 15 classes receives at least one VIPER id.
    assert set(viper_label_map().values()) == set(range(15))
    assert viper_label_map()[10] == VIDEO_UDA_CLASSES.index('pole')
    assert 10 not in viper_label_map(pole_from_infrastructure=False)
    assert convert_viper_ids(np.full((2, 2), 10, np.uint8), False, False).max() == 255


def test_palette_label_reads_ids_and_colour_label_maps_back(tmp_path):
    ids = viper_ids('001', 0)
    write_viper_label(tmp_path / 'p.png', ids)
    assert Image.open(tmp_path / 'p.png').mode == 'P'
    assert np.array_equal(read_viper_label(str(tmp_path / 'p.png')), ids)
    rgb = np.array(VIPER_PALETTE, np.uint8)[ids]
    Image.fromarray(rgb, mode='RGB').save(tmp_path / 'c.png')
    back = read_viper_label(str(tmp_path / 'c.png'))
    # van (25) and train (29) share a colour: both come back as 25; both are ignored anyway.
    assert np.array_equal(back, np.where(ids == 29, 25, ids))
    assert np.array_equal(convert_viper_ids(back), convert_viper_ids(ids))


def test_ego_vehicle_component_is_removed():
    ids = np.full((8, 10), 3, np.uint8)  # road
    ids[5:, 3:7] = 24  # ego car touching the bottom-centre pixel (7, 5)
    ids[1:3, 0:2] = 24  # another car
    out = remove_ego_vehicle(ids)
    assert (out[5:, 3:7] == 0).all() and (out[1:3, 0:2] == 24).all()
    train = convert_viper_ids(ids)
    assert (train[5:, 3:7] == 255).all() and (train[1:3, 0:2] == 11).all()
    assert (convert_viper_ids(ids, ignore_ego_vehicle=False)[5:, 3:7] == 11).all()


def test_day_only_indexing_pairs_and_labels(viper_root):
    ds = build(viper_root)  # condition='day' from conditions.csv: 001, 003 (002 is night)
    assert ds.clip_ids() == ['001', '003']
    assert len(ds) == (4 - 1) + (3 - 1)
    info = ds.get_data_info(0)
    assert info['clip_id'] == '001' and info['frame_ids'] == [0, 1]
    assert info['img_paths'][1].endswith('train/img/001/001_00001.jpg')
    assert info['seg_map_paths'][1].endswith('train/cls/001/001_00001.png')
    results = LoadClipAnnotations()(LoadClipFrames()(dict(info)))
    assert abs(int(results['imgs'][1][0, 0, 0]) - (10 * 1 + 1)) <= 2  # frame 1 of seq 001 (JPEG)
    expected = convert_viper_ids(viper_ids('001', 1), ignore_ego_vehicle=False)
    assert np.array_equal(results['gt_seg_maps'][1], expected)
    last = ds.get_data_info(len(ds) - 1)
    assert last['clip_id'] == '003' and last['frame_ids'] == [1, 2]


def test_condition_none_explicit_sequences_and_png_frames(tmp_path):
    root = make_viper_tree(tmp_path / 'v', ext='.png')
    assert build(root, condition=None).clip_ids() == ['001', '002', '003']
    ds = build(root, sequences=[2])
    assert ds.clip_ids() == ['002'] and ds.get_data_info(0)['img_paths'][0].endswith('.png')
    with pytest.raises(DataNotFoundError, match=r"\['009'\]"):
        build(root, sequences=['009'])


def test_conditions_file_errors(viper_root):
    (viper_root / 'conditions.csv').unlink()
    with pytest.raises(DataNotFoundError, match='tools/data/viper.py conditions') as err:
        build(viper_root)
    assert 'conditions.csv' in str(err.value)
    (viper_root / 'conditions.csv').write_text('split,sequence,condition\ntrain,001,day\n')
    with pytest.raises(DataFormatError, match=r"no row for sequence\(s\) \['002', '003'\]"):
        build(viper_root)
    (viper_root / 'conditions.csv').write_text('split,sequence,condition\ntrain,1,foggy\n')
    with pytest.raises(DataFormatError, match="'foggy'"):
        read_conditions(str(viper_root / 'conditions.csv'))
    (viper_root / 'conditions.csv').write_text(
        'split,sequence,condition\ntrain,001,day\ntrain,002,day?\ntrain,003,day\n')
    with pytest.raises(DataFormatError, match=r"1 unconfirmed guess\(es\).*line 3: train,002,day\?"):
        build(viper_root)
    # Templates of earlier versions marked guesses with a checked column instead.
    (viper_root / 'conditions.csv').write_text(
        'split,sequence,condition,checked\ntrain,001,day,yes\ntrain,002,day,no\ntrain,003,day,yes\n')
    with pytest.raises(DataFormatError, match='unconfirmed guess'):
        build(viper_root)


def test_converted_labels_and_index(viper_root):
    assert viper_prep.convert(str(viper_root)).ok
    settings = json.loads((viper_root / 'train/cls15/conversion.json').read_text())
    assert settings['pole_from_infrastructure'] and settings['ignore_ego_vehicle']
    ds = build(viper_root, labels='converted')
    info = ds.get_data_info(0)
    assert info['seg_map_paths'][0].endswith('train/cls15/001/001_00000.png')
    assert info['label_map'] is None
    label = np.array(Image.open(info['seg_map_paths'][0]))
    assert np.array_equal(label, convert_viper_ids(viper_ids('001', 0)))
    # The index (written by convert) replaces the directory scan: a frame added afterwards is
    # not seen until the index is rewritten.
    index = json.loads((viper_root / 'train/index.json').read_text())
    assert index['sequences']['001']['frames'] == [0, 1, 2, 3]
    assert index['labels']['cls15']['003'] == [0, 1, 2]
    import cv2
    cv2.imwrite(str(viper_root / 'train/img/001/001_00004.jpg'), viper_frame('001', 4))
    assert len(build(viper_root, labels='converted')) == 5
    assert len(build(viper_root, labels='converted', index_file=None)) == 6
    viper_prep.write_index(str(viper_root))
    assert len(build(viper_root, labels='converted')) == 6


def test_bad_inputs_name_the_file(tmp_path, viper_root):
    with pytest.raises(DataNotFoundError, match='tools/data/viper.py') as err:
        build(tmp_path / 'nowhere')
    assert 'nowhere' in str(err.value)
    # A sequence with frames but no labels.
    for path in (viper_root / 'train/cls/003').iterdir():
        path.unlink()
    with pytest.raises(DataFormatError, match="sequence '003' has 3 frames") as err:
        build(viper_root)
    assert 'cls' in str(err.value)
    assert build(viper_root, labels=None).clip_ids() == ['001', '003']  # no labels needed
    # Label values outside VIPER's ids 0..31.
    bad = viper_ids('001', 0)
    bad[0, 0] = 40
    write_viper_label(tmp_path / 'bad.png', bad)
    with pytest.raises(DataFormatError, match=r'values \[40\] outside the class ids 0\.\.31') as err:
        read_viper_label(str(tmp_path / 'bad.png'))
    assert 'bad.png' in str(err.value)
    # A truncated label PNG.
    write_viper_label(tmp_path / 'cut.png', viper_ids('001', 0))
    truncate(tmp_path / 'cut.png')
    with pytest.raises(DataFormatError, match='truncated') as err:
        read_viper_label(str(tmp_path / 'cut.png'))
    assert 'cut.png' in str(err.value)
    # An empty split.
    empty = tmp_path / 'empty'
    (empty / 'train/img/001').mkdir(parents=True)
    (empty / 'train/cls').mkdir(parents=True)
    with pytest.raises(DataNotFoundError, match='empty'):
        build(empty, condition=None)


def test_label_of_other_size_is_an_error_when_loaded(viper_root):
    h, w = VIPER_SIZE
    write_viper_label(viper_root / 'train/cls/001/001_00001.png', np.zeros((h - 2, w), np.uint8))
    info = build(viper_root).get_data_info(0)
    with pytest.raises(ValueError, match='001_00001.png'):
        LoadClipAnnotations()(LoadClipFrames()(dict(info)))


def test_scan_prefers_first_suffix_and_skips_temporaries(viper_root):
    import cv2
    seq_dir = viper_root / 'train/img/001'
    cv2.imwrite(str(seq_dir / '001_00000.png'), viper_frame('001', 0))
    (seq_dir / '.001_00009.jpg.abc.tmp.jpg').write_bytes(b'partial')
    with pytest.warns(UserWarning, match='not named'):
        (seq_dir / 'thumbs.jpg').write_bytes(b'x')
        listing = scan_viper_split(str(viper_root), 'train')
    entry = listing['sequences']['001']
    assert entry['frames'] == [0, 1, 2, 3] and entry['img_suffix'] == '.jpg'
    assert issubclass(DataFormatError, DataError) and issubclass(DataNotFoundError, FileNotFoundError)
