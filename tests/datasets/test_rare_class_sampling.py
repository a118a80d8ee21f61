"""Rare-class sampling (DAFormer Eq. 7): class probabilities from hand-made frequencies, the per-file
statistics of the prep tool, and UDADataset drawing source clips by them."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from uda_toolbox.data_prep.class_stats import compute_class_stats, write_class_stats
from uda_toolbox.datasets.rare_class_sampling import (
    RareClassSampler,
    rcs_class_probabilities,
    read_class_stats,
    total_class_pixels,
)
from uda_toolbox.registry import DATASETS
from uda_toolbox.utils.errors import DataFormatError, DataNotFoundError

H, W = 8, 8


def test_probabilities_by_hand():
    # f = 0.7, 0.2, 0.1 -> (1 - f) / T = 30, 80, 90 at T = 0.01: softmax by hand.
    classes, probs = rcs_class_probabilities({0: 700, 1: 200, 2: 100, 5: 0}, 0.01)
    assert classes == [0, 1, 2]  # a class without pixels is never drawn
    z = math.exp(30) + math.exp(80) + math.exp(90)
    assert probs == pytest.approx([math.exp(30) / z, math.exp(80) / z, math.exp(90) / z])
    assert probs[2] == pytest.approx(1 / (1 + math.exp(-10)), rel=1e-9)
    # A large temperature flattens it towards uniform; a smaller one favours the rarest more.
    assert rcs_class_probabilities({0: 700, 1: 200, 2: 100}, 100.0)[1] == pytest.approx(
        [1 / 3] * 3, abs=2e-3)
    assert rcs_class_probabilities({0: 700, 1: 200, 2: 100}, 0.001)[1][2] > probs[2]
    with pytest.raises(ValueError, match='temperature'):
        rcs_class_probabilities({0: 1}, 0.0)


def test_sampler_candidates_and_draws():
    files = {'a.png': {'0': 60, '1': 4}, 'b.png': {'0': 64}, 'c.png': {'0': 30, '2': 34},
             'd.png': {'2': 64}}
    stats = dict(version='uda_toolbox.class_stats/1', num_classes=3, files=files)
    items = [['a.png', 'b.png'], ['c.png', 'd.png'], ['b.png', None]]
    sampler = RareClassSampler(items, stats, temperature=0.01, min_pixels=10)
    assert total_class_pixels(files) == {0: 154, 1: 4, 2: 98}
    # Mean pixels over an item's labelled frames: class 1 averages 2 in item 0 (< 10): dropped.
    assert sampler.items_with_class == {0: [0, 1, 2], 2: [1]}
    assert sampler.dropped_classes == [1] and sampler.classes == [0, 2]
    np.random.seed(0)
    draws = [sampler.draw() for _ in range(200)]
    assert all(index in sampler.items_with_class[cls] for cls, index in draws)
    share_2 = np.mean([cls == 2 for cls, _ in draws])
    assert share_2 == pytest.approx(float(sampler.probabilities[1]), abs=0.05)
    with pytest.raises(DataFormatError, match='no counts'):
        RareClassSampler([['e.png']], stats)
    with pytest.raises(ValueError, match='min_pixels'):
        RareClassSampler(items, stats, min_pixels=100)


def _tree(root: Path) -> Path:
    """Source clips: clip 'rare' holds class 3 on half of every frame, the others class 0."""
    for clip, value in (('c0', 0), ('c1', 0), ('rare', 3)):
        for sub in ('img', 'cls'):
            (root / sub / clip).mkdir(parents=True, exist_ok=True)
        for f in range(3):
            Image.fromarray(np.full((H, W, 3), 9, np.uint8)).save(
                root / 'img' / clip / f'{clip}_{f:05d}.png')
            label = np.zeros((H, W), np.uint8)
            label[:, :W // 2] = value
            label[0, 0] = 255  # ignored pixels are not counted
            Image.fromarray(label).save(root / 'cls' / clip / f'{clip}_{f:05d}.png')
    return root


def _clips(root, pipeline=None):
    return dict(type='ClipDataset', data_root=str(root),
                data_prefix=dict(img_path='img', seg_map_path='cls'), mode='train', tau=1,
                pipeline=pipeline or [dict(type='LoadClipFrames'),
                                      dict(type='LoadClipAnnotations'),
                                      dict(type='PackClipInputs')])


def test_class_stats_file_and_rare_class_draws(tmp_path):
    root = _tree(tmp_path / 'source')
    source = DATASETS.build(_clips(root))
    stats = compute_class_stats(source)
    assert sorted(stats['files']) == sorted(f'cls/{c}/{c}_{f:05d}.png'
                                            for c in ('c0', 'c1', 'rare') for f in range(3))
    assert stats['files']['cls/rare/rare_00000.png'] == {'0': 32, '3': 31}
    assert stats['files']['cls/c0/c0_00001.png'] == {'0': 63}
    path = tmp_path / 'stats.json'
    write_class_stats(stats, str(path))
    assert read_class_stats(str(path)) == json.loads(json.dumps(stats))
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith('.tmp.json')] == []

    rcs = dict(class_stats=str(path), temperature=0.01, min_pixels=16, min_crop_ratio=0.5)
    dataset = DATASETS.build(dict(type='UDADataset', source=_clips(root), target=_clips(root),
                                  rare_class_sampling=rcs))
    # f_0 = 0.83, f_3 = 0.17: class 3 is drawn almost always, and only clip 'rare' has it.
    assert dataset.rcs.classes == [0, 3] and dataset.rcs.probabilities[1] > 0.99
    np.random.seed(0)
    ids = [dataset[0]['source']['meta'].clip_id for _ in range(20)]
    assert ids.count('rare') >= 19
    with pytest.raises(DataNotFoundError, match='class_frequencies.py'):
        DATASETS.build(dict(type='UDADataset', source=_clips(root), target=_clips(root),
                            rare_class_sampling=dict(rcs, class_stats=str(tmp_path / 'no.json'))))
    with pytest.raises(ValueError, match='unknown keys'):
        DATASETS.build(dict(type='UDADataset', source=_clips(root), target=_clips(root),
                            rare_class_sampling=dict(rcs, temp=0.1)))


def test_crop_is_drawn_again_until_it_keeps_the_class(tmp_path):
    root = _tree(tmp_path / 'source')
    path = tmp_path / 'stats.json'
    write_class_stats(compute_class_stats(DATASETS.build(_clips(root))), str(path))
    # 4 x 4 crops: only crops in the left half keep enough of class 3 (> 8 * 0.5 = 4 pixels).
    crop = [dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations'),
            dict(type='ClipRandomCrop', crop_size=(4, 4)), dict(type='PackClipInputs')]
    def kept(min_crop_ratio):
        dataset = DATASETS.build(dict(
            type='UDADataset', source=_clips(root, crop), target=_clips(root),
            rare_class_sampling=dict(class_stats=str(path), min_pixels=8,
                                     min_crop_ratio=min_crop_ratio)))
        np.random.seed(1)
        counts = [int((dataset[0]['source']['gt_seg'] == 3).sum()) for _ in range(30)]
        return sum(k > 4 * 2 for k in counts)  # 2 frames, > 4 pixels each on average

    # Crops start at x = 0..4; only x <= 2 keep more than 4 pixels of class 3: 3 in 5 without
    # the redraw, nearly all with up to 10 draws.
    assert kept(0.5) >= 28
    assert kept(0.0) <= 24


def test_class_frequencies_tool_writes_the_file_the_config_names(tmp_path, repo_root, capsys):
    from fake_benchmark_data import load_tool
    root = _tree(tmp_path / 'source')
    stats = tmp_path / 'out' / 'class_stats.json'
    config = tmp_path / 'config.py'
    config.write_text(f"""
_base_ = [{str(repo_root / 'configs/daformer/synthetic.py')!r}]
train_dataloader = dict(dataset=dict(
    source=dict(data_root={str(root)!r}, data_prefix=dict(img_path='img', seg_map_path='cls')),
    rare_class_sampling=dict(class_stats={str(stats)!r})))
""")
    assert load_tool('class_frequencies').main([str(config)]) == 0
    written = read_class_stats(str(stats))
    assert len(written['files']) == 9 and written['num_classes'] == 15
    out = capsys.readouterr().out
    assert '9 label files' in out and 'road' in out
