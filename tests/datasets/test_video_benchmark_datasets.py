"""The Cityscapes-Seq benchmarks' datasets (Cityscapes-Seq, VIPER-Seq, SYNTHIA-Seq) on tiny trees
in the official layouts: the shipped split lists, the class maps against the originals', the
frames of a snippet, labels and per-class histograms computed here independently, flow in both
formats, and the errors of incomplete trees."""
import collections
import hashlib

import cv2
import numpy as np
import pytest
from fake_video_benchmark_data import (
    CS_ENTRIES,
    SYNTHIA_CROP,
    VIPER_ENTRIES,
    VIPER_SIZE,
    cs_label_ids,
    cs_snippet_number,
    make_cityscapes_seq_tree,
    make_synthia_seq_tree,
    make_viper_seq_tree,
    synthia_raw_ids,
    viper_raw_ids,
    write_list,
)
from PIL import Image

from uda_toolbox.data_prep import synthia_seq as synthia_prep
from uda_toolbox.data_prep import viper_seq as viper_prep
from uda_toolbox.datasets import CityscapesSeqDataset, SynthiaSeqDataset, VIPERSeqDataset
from uda_toolbox.datasets.cityscapes_seq import cityscapes_seq_label_map, parse_cityscapes_entry
from uda_toolbox.datasets.snippet_dataset import (
    SPLIT_LIST_COUNTS,
    read_split_list,
    split_list_path,
)
from uda_toolbox.datasets.synthia_seq import parse_synthia_entry
from uda_toolbox.datasets.transforms import ClipResize
from uda_toolbox.datasets.video_benchmark_transforms import ClipCropMargins, LoadResizedClipFlow
from uda_toolbox.datasets.viper_seq import parse_viper_entry
from uda_toolbox.utils.classes import (
    SYNTHIA_CITYSCAPES_SEQ_CLASSES,
    VIPER_CITYSCAPES_SEQ_CLASSES,
)
from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError

# The originals' maps, transcribed from DA-VSN: CityscapesSeq_list/info_{Viper,SynthiaSeq}.json
# (label2train) and davsn/dataset/{Viper,SynthiaSeq}.py (id_to_trainid).
ORIGINAL_MAPS = {
    'cityscapes_viper': {7: 0, 8: 1, 11: 2, 13: 3, 19: 4, 20: 5, 21: 6, 22: 7, 23: 8, 24: 9, 25: 9,
                         26: 10, 27: 11, 28: 12, 32: 13, 33: 14},
    'cityscapes_synthia': {7: 0, 8: 1, 11: 2, 13: 3, 17: 4, 19: 5, 20: 6, 21: 7, 23: 8, 24: 9,
                           25: 10, 26: 11},
    'viper': {3: 0, 4: 1, 9: 2, 11: 3, 13: 4, 14: 5, 7: 6, 8: 6, 6: 7, 2: 8, 20: 9, 24: 10, 27: 11,
              26: 12, 23: 13, 22: 14},
    'synthia': {3: 0, 4: 1, 2: 2, 5: 3, 7: 4, 15: 5, 9: 6, 6: 7, 1: 8, 10: 9, 11: 10, 8: 11},
}
LOAD = [dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations')]
PACK_CLIP = [dict(type='PackClipInputs')]


def mapped_histogram(raw: np.ndarray, table: dict, ignore: np.ndarray = None) -> np.ndarray:
    """Histogram (256,) of raw ids mapped pixel by pixel (255 where unmapped or ``ignore``)."""
    out = np.full(raw.shape, 255, np.int64)
    for raw_id, train_id in table.items():
        out[raw == raw_id] = train_id
    if ignore is not None:
        out[ignore] = 255
    return np.bincount(out.ravel(), minlength=256)


def histogram(label) -> np.ndarray:
    return np.bincount(np.asarray(label).astype(np.int64).ravel(), minlength=256)


# ----------------------------------------------------------------------------- shipped lists


@pytest.mark.parametrize('name,md5', [
    ('cityscapes_seq/train', '0d24a5a42caa25ce9e0272f4d5900436'),
    ('cityscapes_seq/val', '48f1a06fa4d2aa51d90c79df6c55173b'),
    ('viper_seq/train', '2f934ef04d5ff64fca48ac2d7d2d0607'),
    ('synthia_seq/train', '27a5e300e549c0fc8aee5320b79bb92e'),
])
def test_shipped_split_lists_are_the_originals(name, md5):
    path = split_list_path(name)
    with open(path, 'rb') as f:
        assert hashlib.md5(f.read()).hexdigest() == md5  # byte-identical to DA-VSN / TPS
    entries = read_split_list(name)
    assert len(entries) == SPLIT_LIST_COUNTS[name]
    parse = {'cityscapes_seq': parse_cityscapes_entry, 'viper_seq': parse_viper_entry,
             'synthia_seq': parse_synthia_entry}[name.split('/')[0]]
    assert [e for e in entries if parse(e) is None] == []  # every entry in the name format


def test_shipped_split_lists_counts_and_content():
    assert [len(read_split_list(n)) for n in ('cityscapes_seq/train', 'cityscapes_seq/val',
                                              'viper_seq/train', 'synthia_seq/train')] == \
        [2975, 500, 13367, 849]
    val = collections.Counter(parse_cityscapes_entry(e)[0] for e in read_split_list('cityscapes_seq/val'))
    assert val == {'frankfurt': 267, 'lindau': 59, 'munster': 174}
    train = [parse_cityscapes_entry(e) for e in read_split_list('cityscapes_seq/train')]
    assert sum(frame == 19 for _, _, frame in train) == 1877  # the rest: other frame numbers
    viper = [parse_viper_entry(e) for e in read_split_list('viper_seq/train')]
    assert len({seq for seq, _, _ in viper}) == 77
    assert all(frame % 10 == 0 and frame > 0 for _, frame, _ in viper)
    synthia = [parse_synthia_entry(e) for e in read_split_list('synthia_seq/train')]
    assert synthia == list(range(1, 850))


def test_class_maps_equal_the_originals():
    assert cityscapes_seq_label_map('viper') == ORIGINAL_MAPS['cityscapes_viper']
    assert cityscapes_seq_label_map('synthia') == ORIGINAL_MAPS['cityscapes_synthia']
    assert viper_prep.viper_seq_label_map() == ORIGINAL_MAPS['viper']
    assert synthia_prep.synthia_seq_label_map() == ORIGINAL_MAPS['synthia']
    assert len(VIPER_CITYSCAPES_SEQ_CLASSES) == 15 and len(SYNTHIA_CITYSCAPES_SEQ_CLASSES) == 12


# ----------------------------------------------------------------------------- Cityscapes-Seq


@pytest.fixture
def cs(tmp_path):
    root = tmp_path / 'cityscapes'
    return root, make_cityscapes_seq_tree(root)


def test_cityscapes_seq_snippets_hold_the_asked_frames(cs):
    root, lists = cs
    ds = CityscapesSeqDataset(data_root=str(root), split='train', split_list=str(lists['train']),
                              frame_offsets=(-2, -1, 0), pipeline=LOAD + PACK_CLIP)
    assert len(ds) == 3
    assert ds.clip_ids() == ['aachen_000000_000019', 'bochum_000000_000313', 'krefeld_000019_000019']
    for i, (city, seq, t) in enumerate(CS_ENTRIES['train']):
        info = ds.get_data_info(i)
        assert info['frame_ids'] == [t - 2, t - 1, t]
        assert [p.split('/')[-1] for p in info['img_paths']] == [
            f'{city}_{seq}_{f:06d}_leftImg8bit.png' for f in (t - 2, t - 1, t)]
        assert info['seg_map_paths'] == [None, None, None]  # UDA: the target's labels unread
        packed = ds[i]
        blue = packed['inputs'][:, 0, 0, 0].tolist()
        number = cs_snippet_number('train', i)
        assert blue == [(4 * f + number) % 256 for f in (t - 2, t - 1, t)]
        assert (packed['gt_seg'] == 255).all()
    # the oracle's labels: t only, as the originals
    oracle = CityscapesSeqDataset(data_root=str(root), split='train', split_list=str(lists['train']),
                                  with_labels=True)
    info = oracle.get_data_info(1)
    assert info['frame_ids'] == [312, 313]
    assert info['seg_map_paths'][0] is None
    assert info['seg_map_paths'][1].endswith('gtFine/train/bochum/bochum_000000_000313_gtFine_labelIds.png')


@pytest.mark.parametrize('class_set', ['viper', 'synthia'])
def test_cityscapes_seq_val_labels_histograms(cs, class_set):
    root, lists = cs
    ds = CityscapesSeqDataset(data_root=str(root), split='val', split_list=str(lists['val']),
                              class_set=class_set, frame_offsets=(0,), mode='test',
                              pipeline=LOAD + [dict(type='PackFrameInputs')])
    assert list(ds.metainfo['classes']) == list(
        VIPER_CITYSCAPES_SEQ_CLASSES if class_set == 'viper' else SYNTHIA_CITYSCAPES_SEQ_CLASSES)
    assert len(ds) == len(CS_ENTRIES['val'])
    table = ORIGINAL_MAPS[f'cityscapes_{class_set}']
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        expected = mapped_histogram(cs_label_ids(cs_snippet_number('val', i)), table)
        assert (histogram(sample.gt_sem_seg.data) == expected).all()
        assert sample.frame_idx == CS_ENTRIES['val'][i][2]
    # rider is person in the VIPER class set, its own class in the SYNTHIA one
    assert (table[25] == table[24]) == (class_set == 'viper')


# ----------------------------------------------------------------------------- VIPER-Seq


def test_viper_seq_labels_after_convert(tmp_path):
    root = tmp_path / 'viper'
    split_list = make_viper_seq_tree(root)
    assert viper_prep.convert(str(root), split_list=str(split_list)).ok
    ds = VIPERSeqDataset(data_root=str(root), split_list=str(split_list), pipeline=LOAD + PACK_CLIP)
    assert len(ds) == len(VIPER_ENTRIES)
    for i, (seq, t) in enumerate(VIPER_ENTRIES):
        info = ds.get_data_info(i)
        assert info['clip_id'] == f'{seq}_{t:05d}' and info['frame_ids'] == [t - 1, t]
        assert info['seg_map_paths'][0] is None  # VIPER labels every 10th frame only
        packed = ds[i]
        raw, ego = viper_raw_ids(seq, t)
        expected = mapped_histogram(raw, ORIGINAL_MAPS['viper'], ignore=ego)
        assert (histogram(packed['gt_seg'][1]) == expected).all()
        assert (packed['gt_seg'][0] == 255).all()
        assert packed['inputs'].shape[-2:] == VIPER_SIZE
    # the ego vehicle is ignored, the other car stays a car
    car = VIPER_CITYSCAPES_SEQ_CLASSES.index('car')
    ego_frame = ds[1]['gt_seg'][1]
    assert (ego_frame[VIPER_SIZE[0] - 1, VIPER_SIZE[1] // 2] == 255).item()
    assert (ego_frame[2:5, 2:6] == car).all()


# ----------------------------------------------------------------------------- SYNTHIA-Seq


def test_synthia_seq_labels_after_convert_and_crop(tmp_path):
    root = tmp_path / 'SEQS-04-DAWN'
    split_list = make_synthia_seq_tree(root)
    assert synthia_prep.convert(str(root), split_list=str(split_list)).ok
    ds = SynthiaSeqDataset(data_root=str(root), split_list=str(split_list),
                           pipeline=LOAD + [dict(type='ClipCropMargins', bottom=SYNTHIA_CROP)]
                           + PACK_CLIP)
    assert ds.clip_ids() == ['000001', '000002', '000003']
    for i in range(len(ds)):
        t = i + 1
        packed = ds[i]
        assert packed['inputs'].shape == (2, 3, 64, 128)  # 184 rows - 120
        assert packed['inputs'][:, 0, 0, 0].tolist() == [(16 * f + 5) % 256 for f in (t - 1, t)]
        raw = synthia_raw_ids(t)[:-SYNTHIA_CROP]
        expected = mapped_histogram(raw, ORIGINAL_MAPS['synthia'])
        assert (histogram(packed['gt_seg'][1]) == expected).all()
        assert (packed['gt_seg'][0] == 255).all()


def test_synthia_label_reader_takes_the_red_channel_of_8_and_16_bit_files(tmp_path):
    ids = np.arange(12, dtype=np.uint8).reshape(3, 4) % 16
    for dtype in (np.uint8, np.uint16):
        bgr = np.stack([np.full_like(ids, 9), np.full_like(ids, 7), ids], -1).astype(dtype)
        cv2.imwrite(str(tmp_path / f'{dtype.__name__}.png'), bgr)
        assert (synthia_prep.read_synthia_label(str(tmp_path / f'{dtype.__name__}.png')) == ids).all()
    bad = np.full((3, 4, 3), 20, np.uint16)
    cv2.imwrite(str(tmp_path / 'bad.png'), bad)
    with pytest.raises(DataFormatError, match=r'class ids \[20\] outside 0..15'):
        synthia_prep.read_synthia_label(str(tmp_path / 'bad.png'))


# ----------------------------------------------------------------------------- flow


def test_original_flow_files_named_read_and_resized(cs, tmp_path):
    root, lists = cs
    flow_dir = tmp_path / 'flow_val'
    flow_dir.mkdir()
    for city, seq, t in CS_ENTRIES['val']:
        # DA-VSN's Cityscapes naming: <city>_<seq>_<t>_<t-1>_int16_x10.npy, at half resolution
        for a in (t, t - 1):
            np.save(flow_dir / f'{city}_{seq}_{a:06d}_{a - 1:06d}_int16_x10.npy',
                    np.tile(np.array([12, -5], np.int16), (16, 32, 1)))  # 1.2 px, -0.5 px
    pipeline = [dict(type='LoadClipFrames'),
                dict(type='ClipResize', scale=(128, 64), keep_ratio=False),
                dict(type='LoadResizedClipFlow'), dict(type='PackClipInputs')]
    ds = CityscapesSeqDataset(data_root=str(root), split='val', split_list=str(lists['val']),
                              frame_offsets=(-2, -1, 0), flow_root=str(flow_dir),
                              flow_format='original', pipeline=pipeline)
    assert ds.get_data_info(0)['flow_paths'] == [
        str(flow_dir / 'frankfurt_000000_000293_000292_int16_x10.npy'),
        str(flow_dir / 'frankfurt_000000_000294_000293_int16_x10.npy')]
    flows = ds[0]['flows']
    assert flows.shape == (2, 2, 64, 128)
    # 16x32 -> 64x128: values times 4 on both axes
    assert np.allclose(flows[:, 0].numpy(), 4.8, atol=1e-5)
    assert np.allclose(flows[:, 1].numpy(), -2.0, atol=1e-5)
    # the other two datasets' names (peers_davsn_tps.md section 4.2)
    viper = VIPERSeqDataset(data_root=str(tmp_path), labels=None, flow_root='f',
                            flow_format='original', lazy_init=True)
    viper.parse_entry('001/001_00010.jpg', 'list')
    assert viper.flow_path('001_00010', 10, 9).endswith('f/001_0001000009_int16_x10.npy')
    synthia = SynthiaSeqDataset(data_root=str(tmp_path), labels=None, flow_root='f',
                                flow_format='original', lazy_init=True)
    assert synthia.flow_path('000005', 5, 4).endswith('f/000005_int16_x10.npy')
    assert synthia.flow_path('000005', 5, 3) is None  # no file names a 2-frame step


def test_missing_flow_and_wrong_flow_dtype(cs, tmp_path):
    root, lists = cs
    common = dict(data_root=str(root), split='val', split_list=str(lists['val']),
                  frame_offsets=(-2, -1, 0), flow_root=str(tmp_path / 'flow'))
    with pytest.raises(DataNotFoundError, match=r"flow directory.*does not exist.*python "
                                                r"tools/data/cityscapes_seq.py compute_flow"):
        CityscapesSeqDataset(**common)
    (tmp_path / 'flow').mkdir()
    with pytest.raises(DataNotFoundError, match=r'4 flow file\(s\) missing.*frankfurt_000000_000294_'
                                                r'000293_int16_x10\.npy'):
        CityscapesSeqDataset(**common, flow_format='original')
    bad = tmp_path / 'x_000001_000000_int16_x10.npy'
    np.save(bad, np.zeros((4, 4, 2), np.float32))
    from uda_toolbox.datasets.video_benchmark_transforms import read_benchmark_flow
    with pytest.raises(DataFormatError, match='int16'):
        read_benchmark_flow(str(bad))


# ----------------------------------------------------------------------------- bad trees


def test_incomplete_tree_fails_when_built_naming_files_and_fix(cs):
    root, lists = cs
    (root / 'leftImg8bit_sequence/train/bochum/bochum_000000_000312_leftImg8bit.png').unlink()
    (root / 'gtFine/train/aachen/aachen_000000_000019_gtFine_labelIds.png').unlink()
    with pytest.raises(DataNotFoundError) as err:
        CityscapesSeqDataset(data_root=str(root), split='train', split_list=str(lists['train']),
                             with_labels=True)
    message = str(err.value)
    assert '1 frame file(s) missing' in message and 'bochum_000000_000312_leftImg8bit.png' in message
    assert '1 label file(s) missing' in message and 'aachen_000000_000019_gtFine_labelIds' in message
    assert 'python tools/data/cityscapes_seq.py verify' in message


def test_bad_lists_and_arguments(cs, tmp_path):
    root, lists = cs
    empty = write_list(tmp_path / 'empty.txt', [], trailing_newline=False)
    with pytest.raises(DataFormatError, match='is empty'):
        CityscapesSeqDataset(data_root=str(root), split='val', split_list=str(empty))
    twice = write_list(tmp_path / 'twice.txt', ['lindau/lindau_000000_000019_leftImg8bit.png'] * 2,
                       trailing_newline=True)
    with pytest.raises(DataFormatError, match='more than once'):
        CityscapesSeqDataset(data_root=str(root), split='val', split_list=str(twice))
    odd = write_list(tmp_path / 'odd.txt', ['lindau_000000_000019.png'], trailing_newline=True)
    with pytest.raises(DataFormatError, match=r"entry 'lindau_000000_000019.png'.*<city>/<city>_"):
        CityscapesSeqDataset(data_root=str(root), split='val', split_list=str(odd))
    with pytest.raises(DataNotFoundError, match='neither a file nor a shipped list'):
        CityscapesSeqDataset(data_root=str(root), split='val', split_list='nope/val')
    with pytest.raises(TypeError, match='frame_offsets'):
        CityscapesSeqDataset(data_root=str(root), split='val', tau=2)
    with pytest.raises(ValueError, match='end with 0'):
        CityscapesSeqDataset(data_root=str(root), split='val', frame_offsets=(-1,))
    with pytest.raises(ValueError, match="mode='test'"):
        CityscapesSeqDataset(data_root=str(root), split='val', mode='test', with_labels=False)


# ----------------------------------------------------------------------------- transforms


def test_clip_crop_margins_and_pil_bicubic_resize():
    frames = [np.random.default_rng(k).integers(0, 256, (10, 8, 3), dtype=np.uint8) for k in (0, 1)]
    labels = [np.arange(80, dtype=np.uint8).reshape(10, 8)] * 2
    flows = [np.arange(160, dtype=np.float32).reshape(10, 8, 2)]
    out = ClipCropMargins(top=1, bottom=3, right=2)(
        dict(imgs=list(frames), gt_seg_maps=list(labels), flows=list(flows)))
    assert (out['imgs'][1] == frames[1][1:7, :6]).all()
    assert (out['gt_seg_maps'][0] == labels[0][1:7, :6]).all()
    assert (out['flows'][0] == flows[0][1:7, :6]).all() and out['img_shape'] == (6, 6)
    with pytest.raises(DataFormatError, match='leave nothing'):
        ClipCropMargins(bottom=10)(dict(imgs=list(frames), img_paths=['a.png']))
    resized = ClipResize(scale=(5, 4), keep_ratio=False, interpolation='pil_bicubic')(
        dict(imgs=list(frames)))
    expected = np.asarray(Image.fromarray(frames[0]).resize((5, 4), Image.BICUBIC))
    assert (resized['imgs'][0] == expected).all()
    with pytest.raises(ValueError, match='interpolation'):
        ClipResize(scale=(5, 4), interpolation='lanczos')


def test_flow_loader_refuses_to_run_after_a_flip():
    with pytest.raises(ValueError, match='before ClipRandomFlip'):
        LoadResizedClipFlow()(dict(imgs=[np.zeros((4, 4, 3), np.uint8)] * 2, flip=True,
                                   flow_paths=['x.npy'], img_paths=['a', 'b']))
