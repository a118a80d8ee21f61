"""The long-tail bank of DA-STC: the class -> frame index written from a dataset config
(uda_toolbox/data_prep/class_frame_index.py, tools/data/class_frame_index.py) and the runtime draws
(uda_toolbox/models/long_tail_bank.py) on a hand-made labelled clip."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from uda_toolbox.data_prep.class_frame_index import build_class_frame_index
from uda_toolbox.models.long_tail_bank import LongTailBank
from uda_toolbox.utils.class_frame_index import read_index, write_index
from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError

SIZE = 8
FENCE = 3
# Frame 0: fence in the top-left 3 x 3 block (9 px); frame 1: fence in the bottom-right 3 x 3
# block; frame 2: no fence; frame 3: fence in a top-left 2 x 2 block (4 px, not more than 5).
BLOCKS = {0: (0, 0, 3), 1: (5, 5, 3), 3: (0, 0, 2)}


@pytest.fixture(scope='module')
def bank_tree(tmp_path_factory):
    """One clip of 4 labelled frames, each frame a flat colour that names it (10 * (k + 1))."""
    root = tmp_path_factory.mktemp('bank')
    for k in range(4):
        label = np.zeros((SIZE, SIZE), np.uint8)  # road everywhere
        if k in BLOCKS:
            r, c, s = BLOCKS[k]
            label[r:r + s, c:c + s] = FENCE
        frame = np.full((SIZE, SIZE, 3), 10 * (k + 1), np.uint8)
        for sub, image in (('img', frame), ('cls', label)):
            path = root / sub / 'clip' / f'clip_{k:05d}.png'
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), image)
    return root


def dataset_cfg(root):
    return dict(type='ClipDataset', data_root=str(root),
                data_prefix=dict(img_path='img', seg_map_path='cls'), mode='test',
                pipeline=[dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations'),
                          dict(type='PackClipInputs')])


@pytest.fixture(scope='module')
def index_file(bank_tree):
    path = bank_tree / 'index.json'
    write_index(str(path), build_class_frame_index(dataset_cfg(bank_tree), num_classes=15))
    return path


def test_index_lists_the_frames_of_each_class_with_their_pixels(index_file):
    index = read_index(str(index_file))
    assert index['items'] == [['clip', k] for k in range(4)]
    assert index['classes'][str(FENCE)] == [[0, 9], [1, 9], [3, 4]]
    assert index['classes']['0'] == [[0, 55], [1, 55], [2, 64], [3, 60]]
    assert set(index['classes']) == {'0', str(FENCE)}


def test_bank_draws_only_frames_with_the_class_in_the_window(bank_tree, index_file):
    bank = LongTailBank(dataset_cfg(bank_tree), str(index_file), classes=[FENCE], min_pixels=5)
    torch.manual_seed(0)
    for _ in range(20):
        # top-left 4 x 4 window: frame 1 shows fence outside it, frame 3 only 4 pixels in it
        image, label = bank.draw(FENCE, 0, 0, 4, 4)
        assert image.shape == (3, 4, 4) and label.shape == (4, 4)
        assert int(image[0, 0, 0]) == 10  # frame 0
        assert int((label == FENCE).sum()) == 9
    for _ in range(20):  # bottom-right window: only frame 1
        image, label = bank.draw(FENCE, 4, 4, 4, 4)
        assert int(image[0, 0, 0]) == 20 and int((label == FENCE).sum()) == 9
    # a higher bar for the class (VIPER's bicycle: > 100): nothing fits, the draw gives up
    strict = LongTailBank(dataset_cfg(bank_tree), str(index_file), classes=[FENCE],
                          class_min_pixels={FENCE: 9}, max_draws=5)
    with pytest.warns(UserWarning, match='not pasted'):
        assert strict.draw(FENCE, 0, 0, 8, 8) is None


def test_bank_chooses_classes_with_frames_only(bank_tree, index_file):
    with pytest.warns(UserWarning, match=r'classes \[5\]'):
        bank = LongTailBank(dataset_cfg(bank_tree), str(index_file), classes=[FENCE, 5],
                            per_iteration=2)
        assert bank.choose_classes() == [FENCE]


def test_stale_or_missing_index_names_the_command(bank_tree, index_file, tmp_path):
    missing = LongTailBank(dataset_cfg(bank_tree), str(tmp_path / 'none.json'), classes=[FENCE])
    with pytest.raises(DataNotFoundError, match='tools/data/class_frame_index.py'):
        missing.draw(FENCE, 0, 0, 4, 4)
    stale = json.loads(index_file.read_text())
    stale['items'] = stale['items'][1:] + [['other', 0]]
    path = tmp_path / 'stale.json'
    path.write_text(json.dumps(stale))
    with pytest.raises(DataFormatError, match='Write it again'):
        LongTailBank(dataset_cfg(bank_tree), str(path), classes=[FENCE]).choose_classes()
    path.write_text('{"format": "something else"}')
    with pytest.raises(DataFormatError, match='not a class-frame index'):
        read_index(str(path))


def test_the_tool_writes_the_index_of_a_config(bank_tree, tmp_path, repo_root):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f"""_base_ = ['{repo_root / 'configs/da_stc/synthetic.py'}']
model = dict(long_tail_bank=dict(dataset={dataset_cfg(bank_tree)!r}, index_file='{tmp_path / 'i.json'}'))
""")
    proc = subprocess.run([sys.executable, 'tools/data/class_frame_index.py', str(cfg)],
                          cwd=repo_root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert read_index(str(tmp_path / 'i.json'))['classes'][str(FENCE)] == [[0, 9], [1, 9], [3, 4]]


def test_index_file_relative_to_the_bank_dataset_root(bank_tree, index_file):
    """``{data_root}`` in index_file is the bank dataset's root, so overriding the embedded
    DA-STC config's data_root moves the bank and its index together."""
    bank = LongTailBank(dataset_cfg(bank_tree), '{data_root}/' + index_file.name, classes=[FENCE])
    assert bank.index_file == str(index_file)
    torch.manual_seed(0)
    image, label = bank.draw(FENCE, 0, 0, 4, 4)
    assert (label == FENCE).sum() > 5

    from mmengine import Config

    from uda_toolbox.apis.config import apply_cfg_options
    cfg = apply_cfg_options(Config.fromfile('configs/da_stc/synthetic.py'), {'data_root': 'other'})
    bank_cfg = cfg.model.long_tail_bank
    assert bank_cfg.dataset.data_root == cfg.train_dataloader.dataset.source.data_root == 'other'
    assert LongTailBank(bank_cfg.dataset, bank_cfg.index_file, [4]).index_file == \
        'other/source/class_frame_index.json'
