"""Paths read from data files stay inside their root, and an incomplete data set is never used
silently (issue 17, items 2 and 10)."""
import json
import shutil

import numpy as np
import pytest
import torch
from fake_benchmark_data import load_tool, make_viper_tree
from run_tools import tool_exit, write_config

from tools import test as test_tool
from uda_toolbox.datasets import ClipDataset
from uda_toolbox.datasets.viper import VIPERDataset
from uda_toolbox.pseudo_labels import InstanceAdaptivePolicy
from uda_toolbox.pseudo_labels.predict import ClipPredictor
from uda_toolbox.pseudo_labels.round import generate_round
from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError
from uda_toolbox.utils.io import resolve_inside


def test_resolve_inside():
    assert resolve_inside('/data/viper/img', '001/001_00000.jpg', 'x') == \
        '/data/viper/img/001/001_00000.jpg'
    assert resolve_inside('', 'a/b.png', 'x') == 'a/b.png'
    assert resolve_inside('img', 'a/../b.png', 'x') == 'img/a/../b.png'  # stays inside
    for name in ('../../../outside/a.png', '/etc/passwd', 'a/../../b.png', 'a\0b'):
        with pytest.raises(DataFormatError, match='leads outside'):
            resolve_inside('/data/viper/img', name, 'VIPER index')
    with pytest.raises(DataFormatError):
        resolve_inside('', '../x.png', 'x')


def test_viper_index_cannot_point_outside_the_data_root(tmp_path):
    root = make_viper_tree(tmp_path / 'viper')
    assert load_tool('viper').write_index(str(root))
    index_path = root / 'train/index.json'
    index = json.loads(index_path.read_text())
    index['sequences']['../../../outside'] = index['sequences'].pop('001')
    for labels in index['labels'].values():
        labels['../../../outside'] = labels.pop('001', [])
    index_path.write_text(json.dumps(index))
    with pytest.raises(DataFormatError) as err:
        VIPERDataset(data_root=str(root), labels='raw', condition=None)
    message = str(err.value)
    assert "VIPER: sequence '../../../outside' of the train index" in message
    assert 'leads outside' in message and str(root / 'train/img') in message


def _model(frames):
    return torch.full((frames.shape[0], 4) + tuple(frames.shape[2:]), 0.25)


def test_pseudo_labels_are_never_written_outside_the_pseudo_label_dir(tmp_path, tiny_pair):
    dataset = ClipDataset(data_root=str(tiny_pair), data_prefix=dict(img_path='target/train/img'))
    frames = dataset.clip_frames(dataset.clip_ids()[0])[:2]
    clips = [('../../escaped', [dict(f, clip_id='../../escaped') for f in frames])]
    out = tmp_path / 'work' / 'pseudo_labels'
    with pytest.raises(DataFormatError, match="pseudo label of clip '../../escaped'.*leads outside"):
        generate_round(ClipPredictor(_model), clips, InstanceAdaptivePolicy(init_threshold=0.1), 0,
                       out_dir=str(out), instance=1, progress=False)
    assert not list(tmp_path.rglob('*.png'))


# ----------------------------------------------------------------------------- incomplete sets
def _val(root, **kwargs):
    return ClipDataset(data_root=str(root), mode='test', data_prefix=dict(
        img_path='target/val/img', seg_map_path='target/val/cls'), **kwargs)


@pytest.mark.parametrize('victim', ['target/val/img/001/001_00009.png',  # an annotated frame
                                    'target/val/cls/000/000_00004.png',  # a label
                                    'target/val/cls/001/001_00009.png'])  # the last label
def test_evaluation_on_an_incomplete_set_is_an_error_unless_allowed(tmp_path, tiny_pair, victim):
    pair = tmp_path / 'pair'
    shutil.copytree(tiny_pair, pair)
    assert len(_val(pair)) == 4  # 2 clips, frames 4 and 9 annotated
    (pair / victim).unlink()
    with pytest.raises(DataNotFoundError) as err:
        _val(pair)
    message = str(err.value)
    assert message.startswith('ClipDataset: 1 annotated frame(s) or their labels are missing')
    frame = victim.split('/')[-1][4:9].lstrip('0')
    assert f'frame {frame} of clip' in message or victim.replace('img', 'cls') in message
    assert 'allow_incomplete=True' in message
    with pytest.warns(UserWarning, match='Evaluating anyway'):
        assert len(_val(pair, allow_incomplete=True)) == 3


def test_test_tool_refuses_an_incomplete_evaluation_set(tmp_path, tiny_pair):
    pair = tmp_path / 'pair'
    shutil.copytree(tiny_pair, pair)
    (pair / 'target/val/cls/000/000_00004.png').unlink()
    cfg = write_config(tmp_path, pair)
    ckpt = tmp_path / 'any.pth'
    torch.save(dict(state_dict={}), ckpt)  # any model: the data set is what fails
    message = tool_exit(test_tool, cfg, ckpt, '--work-dir', tmp_path / 'work',
                        '--allow-partial-weights')
    assert message.startswith('Data error: ClipDataset: 1 annotated frame(s)')
    assert not (tmp_path / 'work/test_metrics.json').exists()


def test_training_pairs_dropped_by_a_missing_frame_are_counted(tmp_path, tiny_pair):
    pair = tmp_path / 'pair'
    shutil.copytree(tiny_pair, pair)
    (pair / 'source/train/img/001/001_00005.png').unlink()
    with pytest.warns(UserWarning, match=r"2 training pair\(s\) under .* dropped because a frame "
                      r"between the first and last of their clip is missing \(e.g. the pair of "
                      r"frames 4 and 5 of clip '001'\)"):
        dataset = ClipDataset(data_root=str(pair), data_prefix=dict(
            img_path='source/train/img', seg_map_path='source/train/cls'))
    assert dataset.dropped_pairs == [('001', 5), ('001', 6)]
    assert len(dataset) == 3 * 9 - 2
    assert np.all([info['frame_ids'] != [4, 6] for info in map(dataset.get_data_info,
                                                              range(len(dataset)))])
