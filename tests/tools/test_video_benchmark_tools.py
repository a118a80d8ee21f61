"""tools/data/{cityscapes_seq,viper_seq,synthia_seq}.py and their library
(uda_toolbox/data_prep/) on tiny trees in the official layouts: verify on good trees and the
report line of each planted defect (missing frame, wrong size, out-of-range label, empty split);
convert and resume; compute_flow writes what the datasets read."""
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from fake_benchmark_data import load_tool, write_viper_label
from fake_video_benchmark_data import (
    CS_SIZE,
    SYNTHIA_SIZE,
    VIPER_SIZE,
    cs_label_ids,
    make_cityscapes_seq_tree,
    make_synthia_seq_tree,
    make_viper_seq_tree,
    write_list,
    write_synthia_label,
)

from uda_toolbox.data_prep import cityscapes_seq, synthia_seq, viper_seq
from uda_toolbox.datasets import CityscapesSeqDataset, SynthiaSeqDataset


def errors(report):
    return [msg for level, msg in report.lines if level == 'ERROR']


def assert_each_named(found, expected):
    """Every expected (a, b) pair appears in one error line; no other error."""
    for first, second in expected:
        assert any(first in msg and second in msg for msg in found), (first, second, found)
    assert len(found) == len(expected), found


@pytest.fixture
def cs(tmp_path):
    root = tmp_path / 'cityscapes'
    return root, make_cityscapes_seq_tree(root)


def verify_cs(root, lists, **kwargs):
    return cityscapes_seq.verify(str(root), split_lists={k: str(v) for k, v in lists.items()},
                                 expected_size=CS_SIZE, **kwargs)


def test_cityscapes_seq_verify_good_tree(cs):
    root, lists = cs
    report = verify_cs(root, lists)
    assert report.ok, report.format()
    text = report.format()
    assert "train: 3 snippets in" in text and '3 checked (9 frames, 3 labels, offsets [-2, -1, 0])' in text
    assert 'val: 2 snippets' in text and '(6 frames, 2 labels' in text
    assert "the benchmark's (cityscapes_seq/train) has 2975" in text  # a tiny list: a warning
    assert '25 rider' in text  # raw label ids present


def test_cityscapes_seq_verify_names_each_planted_defect(cs):
    root, lists = cs
    seq_train = root / 'leftImg8bit_sequence' / 'train'
    (seq_train / 'aachen/aachen_000000_000018_leftImg8bit.png').unlink()  # missing frame (t-1)
    cv2.imwrite(str(seq_train / 'bochum/bochum_000000_000311_leftImg8bit.png'),
                np.zeros((30, 64, 3), np.uint8))  # wrong size (t-2)
    bad = cs_label_ids(3)
    bad[0, 0] = 40
    cv2.imwrite(str(root / 'gtFine/train/krefeld/krefeld_000019_000019_gtFine_labelIds.png'), bad)
    write_list(lists['val'], [], trailing_newline=False)  # an empty split
    assert_each_named(errors(verify_cs(root, lists)), [
        ('aachen_000000_000018_leftImg8bit.png', 'does not exist'),
        ('bochum_000000_000311_leftImg8bit.png', 'is (30, 64) (H, W); Cityscapes-Seq frames are (32, 64)'),
        ('krefeld_000019_000019_gtFine_labelIds.png', 'values [40] outside the labelIds 0..33'),
        ("Cityscapes-Seq 'val'", 'is empty: an empty split'),
    ])
    assert 'does not exist' in errors(cityscapes_seq.verify(str(root / 'nope')))[0]


def test_viper_seq_verify_convert_and_defects(tmp_path):
    root = tmp_path / 'viper'
    split_list = str(make_viper_seq_tree(root))
    report = viper_seq.verify(str(root), split_list=split_list, expected_size=VIPER_SIZE)
    assert report.ok, report.format()
    assert '3 checked (6 frames, 3 labels, offsets [-1, 0])' in report.format()
    first = viper_seq.convert(str(root), split_list=split_list)
    assert first.ok and 'converted 3 label(s), skipped 0' in first.format()
    assert 'converted 0 label(s), skipped 3' in viper_seq.convert(str(root), split_list=split_list).format()
    refused = viper_seq.convert(str(root), split_list=split_list, ignore_ego_vehicle=False)
    assert 'other settings' in errors(refused)[0]

    img = root / 'train' / 'img'
    (img / '001/001_00019.jpg').unlink()  # missing frame
    cv2.imwrite(str(img / '002/002_00009.jpg'), np.zeros((VIPER_SIZE[0], 60, 3), np.uint8))
    write_viper_label(root / 'train/cls/001/001_00010.png', np.full(VIPER_SIZE, 40, np.uint8))
    assert_each_named(errors(viper_seq.verify(str(root), split_list=split_list,
                                              expected_size=VIPER_SIZE)), [
        ('001_00019.jpg', 'does not exist'),
        ('002_00009.jpg', 'is (36, 60) (H, W); VIPER-Seq frames are (36, 64)'),
        ('001_00010.png', 'values [40] outside the class ids 0..31'),
    ])
    for path in img.rglob('*.jpg'):  # an empty split: the image directory holds nothing
        path.unlink()
    for seq_dir in list(img.iterdir()):
        seq_dir.rmdir()
    assert_each_named(errors(viper_seq.verify(str(root), split_list=split_list)),
                      [("VIPER-Seq split 'train' is empty", 'train/img')])


def test_synthia_seq_verify_convert_and_defects(tmp_path):
    root = tmp_path / 'SEQS-04-DAWN'
    split_list = str(make_synthia_seq_tree(root))
    report = synthia_seq.verify(str(root), split_list=split_list, expected_size=SYNTHIA_SIZE)
    assert report.ok, report.format()
    assert '3 checked (4 frames, 3 labels' in report.format()  # snippets share frames
    assert '11 bicycle' in report.format()
    assert synthia_seq.convert(str(root), split_list=split_list).ok
    frames = root / 'RGB/Stereo_Left/Omni_F'
    (frames / '000001.png').unlink()  # missing frame: t-1 of 000002, t of 000001
    cv2.imwrite(str(frames / '000000.png'), np.zeros((100, 128, 3), np.uint8))  # t-1 of 000001
    write_synthia_label(root / 'GT/LABELS/Stereo_Left/Omni_F/000002.png',
                        np.full(SYNTHIA_SIZE, 20, np.uint16))
    assert_each_named(errors(synthia_seq.verify(str(root), split_list=split_list,
                                                expected_size=SYNTHIA_SIZE)), [
        ('000001.png', 'does not exist'),
        ('000000.png', 'is (100, 128) (H, W); SYNTHIA-Seq frames are (184, 128)'),
        ('000002.png', 'class ids [20] outside 0..15'),
    ])
    empty = write_list(tmp_path / 'empty.txt', [], trailing_newline=False)
    assert_each_named(errors(synthia_seq.verify(str(root), split_list=str(empty))),
                      [('SYNTHIA-Seq', 'is empty: an empty split')])


def test_compute_flow_writes_what_the_datasets_read(cs, tmp_path):
    root, lists = cs
    written, kept, out = cityscapes_seq.compute_flow(
        str(root), 'train', estimator=dict(type='OpenCVDISFlow', preset='ultrafast'),
        split_list=str(lists['train']))
    assert (written, kept) == (6, 0)  # per snippet: t -> t-1 and t-1 -> t
    assert out == str(root / 'flow' / 'train')
    bw = np.load(root / 'flow/train/aachen/aachen_000000_000019_leftImg8bit_bw.npy')
    assert bw.shape == (CS_SIZE[0] // 2, CS_SIZE[1] // 2, 2) and bw.dtype == np.float16
    assert cityscapes_seq.compute_flow(str(root), 'train', split_list=str(lists['train']))[:2] == (0, 6)
    ds = CityscapesSeqDataset(data_root=str(root), split='train', split_list=str(lists['train']),
                              flow_root='flow/train')
    info = ds.get_data_info(0)
    assert info['flow_paths'] == [str(root / 'flow/train/aachen/aachen_000000_000019_leftImg8bit_bw.npy')]
    prev, cur = ds.clip_frames('aachen_000000_000019')
    assert prev['flow_fw_path'].endswith('aachen_000000_000018_leftImg8bit_fw.npy')
    assert cur['flow_bw_path'] == info['flow_paths'][0] and cur['flow_fw_path'] is None

    synthia_root = tmp_path / 'SEQS-04-DAWN'
    split_list = str(make_synthia_seq_tree(synthia_root))
    written, _, out = synthia_seq.compute_flow(str(synthia_root), split_list=split_list,
                                              estimator=dict(type='OpenCVDISFlow', preset='ultrafast'))
    assert written == 6 and out == str(synthia_root / 'flow')
    assert np.load(synthia_root / 'flow/000002_bw.npy').shape == (SYNTHIA_SIZE[0] - 120, SYNTHIA_SIZE[1], 2)
    ds = SynthiaSeqDataset(data_root=str(synthia_root), labels=None, split_list=split_list,
                           flow_root='flow')
    assert ds.get_data_info(1)['flow_paths'] == [str(synthia_root / 'flow/000002_bw.npy')]


def test_tool_scripts_run_standalone_and_in_process(repo_root, cs, tmp_path):
    root, lists = cs
    proc = subprocess.run([sys.executable, 'tools/data/cityscapes_seq.py', 'verify', str(root),
                           '--split-list', 'train', str(lists['train']), '--split-list', 'val',
                           str(lists['val']), '--any-size'], cwd=repo_root, capture_output=True,
                          text=True, env={**os.environ, 'PYTHONPATH': str(repo_root)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '0 error(s)' in proc.stdout
    synthia_root = tmp_path / 'SEQS-04-DAWN'
    split_list = str(make_synthia_seq_tree(synthia_root))
    tool = load_tool('synthia_seq')
    assert tool.main(['convert', str(synthia_root), '--split-list', 'train', split_list]) == 0
    assert (synthia_root / 'cityscapes_seq_labels' / '000003.png').is_file()
    # the release's size is the default: the tiny frames are reported
    assert tool.main(['verify', str(synthia_root), '--split-list', 'train', split_list]) == 1


def test_compute_flow_direction_scale_and_crop(tmp_path):
    """The _bw file of frame t holds estimator(frame t, frame t-1), the _fw file of t-1
    estimator(frame t-1, frame t), on frames scaled (and, for SYNTHIA-Seq, cut) first."""
    from uda_toolbox.data_prep.snippets import compute_snippet_flows

    seen = []

    def estimator(a, b):  # encodes which frames it saw, and their size
        seen.append(a.shape)
        return np.stack([np.full(a.shape[:2], a[0, 0, 0]), np.full(a.shape[:2], b[0, 0, 0])], -1)

    root = tmp_path / 'SEQS-04-DAWN'
    split_list = str(make_synthia_seq_tree(root))
    dataset = SynthiaSeqDataset(data_root=str(root), labels=None, split_list=split_list)
    written, kept = compute_snippet_flows(dataset, str(tmp_path / 'flow'), estimator, scale=0.5,
                                          crop_bottom=120)
    assert (written, kept) == (6, 0)
    assert set(seen) == {(32, 64, 3)}  # (184 - 120) / 2 rows, 128 / 2 columns
    blue = {f: (16 * f + 5) % 256 for f in range(4)}  # fake_video_benchmark_data.synthia_frame
    bw = np.load(tmp_path / 'flow' / '000002_bw.npy')
    fw = np.load(tmp_path / 'flow' / '000001_fw.npy')
    assert bw[0, 0].tolist() == [blue[2], blue[1]] and fw[0, 0].tolist() == [blue[1], blue[2]]


def test_compute_flow_command(cs, capsys):
    root, lists = cs
    tool = load_tool('cityscapes_seq')
    args = ['compute_flow', str(root), '--splits', 'train', '--split-list', 'train',
            str(lists['train']), '--preset', 'ultrafast']
    assert tool.main(args) == 0
    out = capsys.readouterr().out
    assert f"train: wrote 6 flow files, kept 0 existing, in {root / 'flow' / 'train'}" in out
    (root / 'leftImg8bit_sequence/train/aachen/aachen_000000_000018_leftImg8bit.png').unlink()
    with pytest.raises(SystemExit, match=r'error: Cityscapes-Seq: .*1 frame file\(s\) missing'):
        tool.main(args)
