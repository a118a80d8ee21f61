"""configs/_base_/paper_results_video_benchmarks.py: TPS's Tables 1 and 2, transcribed per class."""
import pytest
from mmengine.config import Config

ROWS = {
    'synthia': ['Source-only', 'AdvEnt', 'CBST', 'IDA', 'CRST', 'CrCDA', 'RDA', 'FDA', 'DA-VSN',
                'PixMatch', 'TPS'],
    'viper': ['Source-only', 'AdvEnt', 'CBST', 'IDA', 'CRST', 'CrCDA', 'RDA', 'FDA', 'PixMatch',
              'DA-VSN', 'TPS'],
}


@pytest.fixture(scope='module')
def paper(repo_root):
    return Config.fromfile(str(repo_root / 'configs/_base_/paper_results_video_benchmarks.py'))


@pytest.mark.parametrize('benchmark, classes', [('synthia', 11), ('viper', 15)])
def test_rows_classes_and_means(paper, benchmark, classes):
    names = paper[f'paper_{benchmark}2cityscapes_seq_classes']
    rows = paper[f'paper_{benchmark}2cityscapes_seq_miou']
    assert len(names) == classes and len(set(names)) == classes
    assert [row['method'] for row in rows] == ROWS[benchmark]
    for row in rows:
        assert len(row['per_class']) == classes, row['method']
        assert all(0.0 <= v <= 100.0 for v in row['per_class'])
        # each row's mean as printed (one decimal) from its per-class values
        assert abs(sum(row['per_class']) / classes - row['mean']) <= 0.051, row['method']


def test_headline_numbers_of_the_issue(paper):
    viper = {r['method']: r['mean'] for r in paper.paper_viper2cityscapes_seq_miou}
    synthia = {r['method']: r['mean'] for r in paper.paper_synthia2cityscapes_seq_miou}
    assert (viper['Source-only'], viper['DA-VSN'], viper['TPS']) == (37.1, 47.8, 48.9)
    assert (synthia['Source-only'], synthia['DA-VSN'], synthia['TPS']) == (38.3, 49.5, 53.8)
    assert 'pole' not in paper.paper_viper2cityscapes_seq_classes
    assert 'fence' not in paper.paper_synthia2cityscapes_seq_classes
