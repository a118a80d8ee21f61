"""The data preparation (uda_toolbox.data_prep) and its scripts tools/data/viper.py,
cityscapes_vps.py and compute_flow.py on tiny trees in the official layouts: verify, each bad
input, convert + resume, index, conditions, flow; and tools/train.py without data.
Every real-data config end to end: tests/tools/test_real_data_configs.py."""
import csv
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from fake_benchmark_data import (
    VPS_SIZE,
    listing,
    load_tool,
    make_viper_tree,
    make_vps_tree,
    truncate,
    viper_ids,
    vps_annotated_name,
    vps_clip,
    vps_train_ids,
    write_viper_label,
)
from mmengine.config import Config
from PIL import Image

from uda_toolbox.apis.config import merge_options
from uda_toolbox.data_prep import cityscapes_vps as vps_prep
from uda_toolbox.data_prep import viper as viper_prep
from uda_toolbox.data_prep.cityscapes_vps import cityscapes_lookup_table
from uda_toolbox.data_prep.viper_conditions import write_conditions_template
from uda_toolbox.datasets.cityscapes_vps import CityscapesVPSDataset
from uda_toolbox.datasets.viper import VIPER_CONDITIONS, VIPERDataset
from uda_toolbox.utils.errors import DataFormatError


@pytest.fixture
def viper_root(tmp_path):
    return make_viper_tree(tmp_path / 'viper')


@pytest.fixture
def vps(tmp_path):
    return make_vps_tree(tmp_path / 'cityscapes_vps', tmp_path / 'sequence' / 'val')


def errors(report):
    return [msg for level, msg in report.lines if level == 'ERROR']


# ----------------------------------------------------------------------------- VIPER tool


def test_viper_verify_good_tree(viper_root):
    report = viper_prep.verify(str(viper_root))
    assert report.ok, report.format()
    text = report.format()
    assert 'train: 3 sequences, 10 frames, 10 cls labels' in text
    assert "frames per condition: {'day': 7, 'night': 3}" in text
    assert 'Shin et al. (2021) trains on 42455' in text


def test_viper_verify_reports_each_bad_input(tmp_path, viper_root):
    assert errors(viper_prep.verify(str(tmp_path / 'missing')))[0].startswith(
        f"VIPER root '{tmp_path / 'missing'}' does not exist")
    train = viper_root / 'train'
    for path in (train / 'cls/002').iterdir():  # frames but no labels
        path.unlink()
    bad = viper_ids('001', 0)
    bad[0, 0] = 45  # a value outside VIPER's ids
    write_viper_label(train / 'cls/001/001_00000.png', bad)
    h, w = bad.shape
    write_viper_label(train / 'cls/001/001_00001.png', np.zeros((h, w + 4), np.uint8))  # size
    truncate(train / 'cls/003/003_00001.png')  # truncated label PNG
    truncate(train / 'img/003/003_00002.jpg')  # truncated frame
    (viper_root / 'val/img').mkdir(parents=True)  # empty split
    found = errors(viper_prep.verify(str(viper_root)))
    expected = [
        ("sequence 002 of 'train' has 3 frames", 'cls/002'),
        ('001_00000.png', 'values [45] outside the class ids 0..31'),
        ('001_00001.png', 'is (24, 36) (H, W) but its frame'),
        ('003_00001.png', 'truncated'),
        ('003_00002.jpg', 'truncated'),
        ("split 'val' is empty", 'val/img'),
    ]
    for first, second in expected:
        assert any(first in msg and second in msg for msg in found), (first, found)
    assert len(found) == len(expected), found
    assert load_tool('viper').main(['verify', str(viper_root)]) == 1


def test_viper_convert_interrupted_then_resumed_equals_uninterrupted(tmp_path, monkeypatch):
    whole = make_viper_tree(tmp_path / 'whole')
    resumed = make_viper_tree(tmp_path / 'resumed')
    assert viper_prep.convert(str(whole)).ok

    real = viper_prep.convert_viper_file
    calls = []

    def dies_after_four(task):
        if len(calls) == 4:
            raise KeyboardInterrupt  # e.g. Ctrl-C half-way
        calls.append(task)
        return real(task)

    monkeypatch.setattr(viper_prep, 'convert_viper_file', dies_after_four)
    with pytest.raises(KeyboardInterrupt):
        viper_prep.convert(str(resumed))
    monkeypatch.setattr(viper_prep, 'convert_viper_file', real)
    out = resumed / 'train/cls15'
    assert len(list(out.rglob('*_0000*.png'))) == 4
    (out / '001' / '.001_00003.png.x1y2.tmp.png').write_bytes(b'\x89PNG half')  # killed writer
    report = viper_prep.convert(str(resumed))
    assert report.ok and 'converted 6 label(s), skipped 4 already converted' in report.format()
    assert listing(out) == listing(whole / 'train/cls15')
    assert (json.loads((resumed / 'train/index.json').read_text())
            == json.loads((whole / 'train/index.json').read_text()))


def test_viper_convert_settings_and_bad_label(viper_root):
    assert viper_prep.convert(str(viper_root)).ok
    refused = viper_prep.convert(str(viper_root), ignore_ego_vehicle=False)
    assert 'converted with other settings' in errors(refused)[0] and 'ignore_ego_vehicle' in errors(
        refused)[0]
    bad = viper_ids('003', 2)
    bad[1, 1] = 99
    write_viper_label(viper_root / 'train/cls/003/003_00002.png', bad)
    report = viper_prep.convert(str(viper_root), overwrite=True)
    assert len(errors(report)) == 1 and '003_00002.png' in errors(report)[0]
    assert 'converted 9 label(s)' in report.format()


def test_viper_conditions_template_marks_guesses_and_training_refuses_them(viper_root, capsys):
    # The fake frames are bright and warm whatever the sequence's condition, so the guess for the
    # night sequence 002 is wrong, as it can be for a real night sequence of noisy frames.
    assert load_tool('viper').main(['conditions', str(viper_root)]) == 0
    assert "marked '?'" in capsys.readouterr().out
    out = viper_root / 'conditions_template.csv'
    with open(out, newline='') as f:
        rows = list(csv.DictReader(f))
    assert [(r['split'], r['sequence']) for r in rows] == [('train', '001'), ('train', '002'),
                                                           ('train', '003')]
    assert all(r['condition'].endswith('?') and r['condition'][:-1] in VIPER_CONDITIONS
               for r in rows), rows
    assert rows[1]['condition'] != 'night?'
    # Even cut down to the three columns the dataset reads, the guesses never feed training.
    lines = ['split,sequence,condition'] + [f"train,{r['sequence']},{r['condition']}" for r in rows]
    (viper_root / 'conditions.csv').write_text('\n'.join(lines) + '\n')
    with pytest.raises(DataFormatError, match=r"3 unconfirmed guess\(es\).*line 3: train,002,") as err:
        VIPERDataset(data_root=str(viper_root), labels='raw')
    assert "removing the '?'" in str(err.value) and 'conditions.csv' in str(err.value)
    assert errors(viper_prep.verify(str(viper_root)))[0] == str(err.value)
    # A person looked at the sequences: 002 is night, the others day.
    (viper_root / 'conditions.csv').write_text(
        'split,sequence,condition\ntrain,001,day\ntrain,002,night\ntrain,003,day\n')
    assert VIPERDataset(data_root=str(viper_root), labels='raw').clip_ids() == ['001', '003']


def test_viper_conditions_template_without_readable_frames_guesses_nothing(viper_root):
    for path in (viper_root / 'train/img/002').iterdir():
        path.write_bytes(b'')  # unreadable frames
    out = write_conditions_template(str(viper_root), str(viper_root / 'template.csv'))
    with open(out, newline='') as f:
        conditions = {r['sequence']: r['condition'] for r in csv.DictReader(f)}
    assert conditions['002'] == '?' and conditions['001'] != '?'


# ----------------------------------------------------------------------------- Cityscapes-VPS tool


def test_vps_verify_good_tree_and_bad_inputs(tmp_path, vps):
    root, seq_root = vps
    report = vps_prep.verify(str(root), str(seq_root))
    assert report.ok, report.format()
    assert 'train: 2 clips, 12 annotated frames, 12 labels, 0 missing' in report.format()
    assert 'the Cityscapes-VPS train split has 400' in report.format()

    assert 'does not exist' in errors(vps_prep.verify(str(tmp_path / 'nope')))[0]
    for k in range(1, 7):  # clip 0002: frames but no labels
        (root / 'train/labelmap' / vps_annotated_name(2, k, suffix='label')).unlink()
    Image.fromarray(np.full((16, 32), 40, np.uint8)).save(
        root / 'train/labelmap' / vps_annotated_name(1, 1, suffix='label'))  # not trainIds
    Image.fromarray(np.zeros((16, 30), np.uint8)).save(
        root / 'train/labelmap' / vps_annotated_name(1, 2, suffix='label'))  # size
    truncate(root / 'train/labelmap' / vps_annotated_name(1, 3, suffix='label'))
    clip = vps_clip(1)
    gone = f'{clip["city"]}_{clip["seq"]}_{clip["first"] + 2:06d}_leftImg8bit.png'
    (seq_root / clip['city'] / gone).unlink()  # a missing unannotated frame
    (root / 'val/img' / vps_annotated_name(5, 6)).unlink()  # a clip with 5 annotated frames
    (tmp_path / 'cityscapes_vps/test/img').mkdir(parents=True)  # an empty split
    found = errors(vps_prep.verify(str(root), str(seq_root)))
    expected = [
        ("clip 0002 of 'train' has 6 annotated frames", 'no label'),
        (vps_annotated_name(1, 1, suffix='label'), 'values [40] outside the Cityscapes trainIds'),
        (vps_annotated_name(1, 2, suffix='label'), 'is (16, 30) (H, W) but its frame'),
        (vps_annotated_name(1, 3, suffix='label'), 'truncated'),
        (gone, 'frame 2 of clip 0001'),
        ('clip 0005', 'expected 6 frames at positions [4, 9, 14, 19, 24, 29]'),
        ("split 'test' is empty", 'test/img'),
        ("split 'val' is empty", 'val/img'),  # its only clip is malformed
    ]
    for first, second in expected:
        assert any(first in msg and second in msg for msg in found), (first, found)
    assert len(found) == len(expected), found


def test_vps_convert_resume_and_workers(tmp_path, vps, monkeypatch):
    root, _ = vps
    other = make_vps_tree(tmp_path / 'other', tmp_path / 'other_seq')[0]
    real = vps_prep.convert_vps_file
    calls = []

    def dies_after_five(task):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(task)
        return real(task)

    monkeypatch.setattr(vps_prep, 'convert_vps_file', dies_after_five)
    with pytest.raises(KeyboardInterrupt):
        vps_prep.convert(str(root))
    monkeypatch.setattr(vps_prep, 'convert_vps_file', real)
    report = vps_prep.convert(str(root))
    assert report.ok and 'skipped 5 already converted' in report.format()
    assert vps_prep.convert(str(other), workers=2).ok  # spawned workers give the same bytes
    assert listing(root / 'train/cls15') == listing(other / 'train/cls15')
    assert listing(root / 'val/cls15') == listing(other / 'val/cls15')
    index = json.loads((root / 'val/index.json').read_text())
    assert index['clips']['0005']['annotated'][3] == [19, vps_annotated_name(5, 4)]


def test_vps_convert_from_colour_cls(tmp_path):
    root, _ = make_vps_tree(tmp_path / 'c', tmp_path / 's', splits={'val': (5,)}, colour_cls=True)
    shutil.rmtree(root / 'val/labelmap')
    assert vps_prep.convert(str(root)).ok
    name = vps_annotated_name(5, 2, suffix='label')
    assert np.array_equal(np.array(Image.open(root / 'val/cls15' / name)),
                          cityscapes_lookup_table()[vps_train_ids(5, 9)])


# ----------------------------------------------------------------------------- optical flow


def test_compute_flow_on_the_flat_cityscapes_vps_layout(vps, capsys):
    root, seq_root = vps
    tool = load_tool('compute_flow')
    # Auto-detected from the flat img/ names; the unannotated train frames come from the
    # Cityscapes sequences, so without --sequence-root it stops naming what to pass.
    with pytest.raises(SystemExit, match='sequence_root'):
        tool.main([str(root / 'train'), '--no-progress'])
    assert tool.main([str(root / 'train'), '--sequence-root', str(seq_root), '--preset',
                      'ultrafast', '--no-progress']) == 0
    assert 'wrote 116 flow files, kept 0' in capsys.readouterr().out  # 2 clips x 2 x 29
    flow = root / 'train/flow/0002'
    names = sorted(p.name for p in flow.iterdir())
    assert len(names) == 58 and names[0] == '0002_00000_fw.npy' and names[-1] == '0002_00029_bw.npy'
    assert np.load(flow / '0002_00007_bw.npy').shape == (*VPS_SIZE, 2)
    # val has img_all/: no sequence root needed; frame indices are positions in the clip.
    assert tool.main([str(root / 'val'), '--no-progress']) == 0
    assert (root / 'val/flow/0005/0005_00029_bw.npy').is_file()
    assert 'wrote 58 flow files' in capsys.readouterr().out
    # The dataset pairs frame t with the _bw flow of its position.
    ds = CityscapesVPSDataset(data_root=str(root), sequence_root=str(seq_root), split='train',
                              flow_root='train/flow')
    info = ds.get_data_info(8)  # clip 0001, pair (8, 9)
    assert info['frame_ids'] == [8, 9]
    assert info['flow_paths'] == [str(root / 'train/flow/0001/0001_00009_bw.npy')]


def test_compute_flow_on_the_viper_layout(viper_root, capsys):
    tool = load_tool('compute_flow')
    assert tool.main([str(viper_root / 'train'), '--layout', 'viper', '--preset', 'ultrafast',
                      '--no-progress']) == 0
    # Every sequence (night included): 3 + 2 + 2 pairs, both directions.
    assert 'wrote 14 flow files, kept 0' in capsys.readouterr().out
    assert sorted(p.name for p in (viper_root / 'train/flow/003').iterdir()) == [
        '003_00000_fw.npy', '003_00001_bw.npy', '003_00001_fw.npy', '003_00002_bw.npy']
    ds = VIPERDataset(data_root=str(viper_root), labels='raw', flow_root='train/flow')
    assert ds.get_data_info(0)['flow_paths'] == [str(viper_root / 'train/flow/001/001_00001_bw.npy')]


# ----------------------------------------------------------------------------- train without data


def test_train_without_data_fails_at_once_naming_path_and_command(repo_root, tmp_path):
    command = [sys.executable, str(repo_root / 'tools/train.py'),
               str(repo_root / 'configs/vat/viper2cityscapes.py'), '--work-dir', str(tmp_path / 'w')]
    # No ImageNet backbone file either: that stops first, with the ways out (issue 16).
    proc = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    assert 'Checkpoint error: Backbone weights' in proc.stderr
    assert 'tools/convert_backbone.py' in proc.stderr and 'init_cfg=None' in proc.stderr
    # Random initialisation asked for: the missing data is named, with the command to prepare it.
    proc = subprocess.run(command + ['--cfg-options', 'model.segmentor.backbone.init_cfg=None'],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    assert "'data/viper' does not exist" in proc.stderr
    assert 'python tools/data/viper.py convert data/viper' in proc.stderr


def test_tool_scripts_run_standalone(repo_root, vps):
    root, seq_root = vps
    proc = subprocess.run([sys.executable, 'tools/data/cityscapes_vps.py', 'verify', str(root),
                           '--sequence-root', str(seq_root)], cwd=repo_root, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '0 error(s)' in proc.stdout


def test_class_statistics_tools_follow_a_data_root_override(tiny_pair, tmp_path, repo_root):
    """`make demo GENERATOR=1` prepares another pair with `--cfg-options data_root=DIR`: both
    class-statistics tools must then read that pair (not the config's default pair), and DAFormer's
    statistics and DA-STC's index land where their readers look ({data_root} in class_stats and
    index_file)."""
    from uda_toolbox.utils.class_frame_index import read_index
    pair = tmp_path / 'other_pair'
    shutil.copytree(tiny_pair, pair)
    option = ['--cfg-options', f'data_root={pair}']
    stats = tmp_path / 'class_stats.json'
    assert load_tool('class_frequencies').main(
        [str(repo_root / 'configs/daformer/synthetic.py'), '--out', str(stats)] + option) == 0
    assert len(json.loads(stats.read_text())['files']) == 3 * 10  # the tiny pair's source labels
    assert load_tool('class_frame_index').main(
        [str(repo_root / 'configs/da_stc/synthetic.py')] + option) == 0
    index = read_index(str(pair / 'source' / 'class_frame_index.json'))
    assert len(index['items']) == 3 * 10
    # Without --out the statistics go where DAFormer's rare-class sampling reads them.
    assert load_tool('class_frequencies').main(
        [str(repo_root / 'configs/daformer/synthetic.py')] + option) == 0
    written = pair / 'source' / 'train' / 'class_stats.json'
    assert json.loads(written.read_text()) == json.loads(stats.read_text())
    from uda_toolbox.datasets import UDADataset
    cfg = merge_options(Config.fromfile(str(repo_root / 'configs/daformer/synthetic.py')),
                        {'data_root': str(pair)})
    options = {k: v for k, v in cfg.train_dataloader.dataset.items() if k != 'type'}
    assert UDADataset(**options).rcs is not None  # read from the overridden root
    written.unlink()
    with pytest.raises(Exception, match=str(written)):
        UDADataset(**options)
