"""configs/_base_/paper_results_video_benchmarks.py (published rows of the Cityscapes-Seq
benchmarks) and the benchmark specs that print them."""
import pytest
from mmengine.config import Config

from uda_toolbox.utils.classes import (
    SYNTHIA_CITYSCAPES_SEQ_CLASSES,
    SYNTHIA_CITYSCAPES_SEQ_UNREPORTED,
    VIPER_CITYSCAPES_SEQ_CLASSES,
)


@pytest.fixture(scope='module')
def paper(repo_root):
    return Config.fromfile(str(repo_root / 'configs/_base_/paper_results_video_benchmarks.py'))


def test_class_lists_are_the_benchmarks_reported_classes(paper):
    assert tuple(paper.viper_cityscapes_seq_classes) == VIPER_CITYSCAPES_SEQ_CLASSES
    assert tuple(paper.synthia_cityscapes_seq_classes) == tuple(
        c for c in SYNTHIA_CITYSCAPES_SEQ_CLASSES if c not in SYNTHIA_CITYSCAPES_SEQ_UNREPORTED)


@pytest.mark.parametrize('table,classes', [
    ('viper_cityscapes_seq_published', 15), ('synthia_cityscapes_seq_published', 11)])
def test_rows_agree_with_their_means(paper, table, classes):
    rows = paper[table]
    assert len({r['method'] for r in rows}) == len(rows)
    for row in rows:
        assert len(row['per_class']) == classes, row['method']
        assert all(0.0 <= v <= 100.0 for v in row['per_class'])
        assert abs(sum(row['per_class']) / classes - row['mean']) <= 0.05, row['method']


def test_spot_values(paper):
    viper = {r['method']: r for r in paper.viper_cityscapes_seq_published}
    synthia = {r['method']: r for r in paper.synthia_cityscapes_seq_published}
    means = ('Source only', 'DA-VSN', 'TPS')
    assert [viper[m]['mean'] for m in means] == [37.1, 47.8, 48.9]
    assert [synthia[m]['mean'] for m in means] == [38.3, 49.5, 53.8]
    assert synthia['DA-STC (QuadMix, CNN)']['per_class'][7] == 82.3  # sky, the value that gives 61.5
    assert viper['DA-STC (QuadMix, CNN)']['mean'] == 56.2


@pytest.mark.parametrize('benchmark', ['viper2cityscapes_seq', 'synthia2cityscapes_seq'])
def test_benchmark_specs_rows_and_paper_names(repo_root, benchmark):
    spec = Config.fromfile(str(repo_root / f'configs/benchmarks/{benchmark}.py'))
    names = {row['name'] for row in spec.rows}
    paper_methods = {r['method'] for r in spec.paper_table1_miou}
    for row in spec.rows:
        assert (repo_root / row['config']).is_file(), row
        assert row.get('depends') in names | {None}
        if 'paper' in row:
            assert row['paper'] in paper_methods, row
        else:
            assert row['name'] in spec.unpublished, row['name']  # the spec says so
    # every method with a benchmark config is a row
    methods = {p.parent.name for p in repo_root.glob(f'configs/*/{benchmark}.py')} - {'benchmarks'}
    assert methods == {row['config'].split('/')[1] for row in spec.rows}
    assert spec.metrics == ['mIoU'] and 'VPQ' in spec.not_defined and spec.paper_table2_vpq == []


def test_headline_numbers_and_tps_ablations(repo_root):
    paper = Config.fromfile(str(repo_root / 'configs/_base_/paper_results_video_benchmarks.py'))
    viper = {r['method']: r['mean'] for r in paper.viper_cityscapes_seq_tps_table2}
    synthia = {r['method']: r['mean'] for r in paper.synthia_cityscapes_seq_tps_table1}
    assert (viper['Source only'], viper['DA-VSN'], viper['TPS']) == (37.1, 47.8, 48.9)
    assert (synthia['Source only'], synthia['DA-VSN'], synthia['TPS']) == (38.3, 49.5, 53.8)
    # TPS's chosen settings (interval 1, threshold 0, lambda_T 1.0) are its Table 1 row (53.8).
    for key, chosen in (('interval', 1), ('threshold', 0.0), ('lambda_t', 1.0)):
        assert dict(paper.paper_tps_ablations[key])[chosen] == synthia['TPS']


@pytest.mark.parametrize('prefix,benchmark', [('viper', 'VIPER -> Cityscapes-Seq'),
                                              ('synthia', 'SYNTHIA-Seq -> Cityscapes-Seq')])
def test_mean_only_rows_repeat_the_source_free_listing_unverified(repo_root, paper, prefix, benchmark):
    """STPL's mean-only rows carry the values of paper_results_source_free.py, marked unverified in
    the name the tables print, and no per-class values."""
    source_free = Config.fromfile(str(repo_root / 'configs/_base_/paper_results_source_free.py'))
    listed = {r['benchmark']: r['mean'] for r in source_free.paper_source_free_miou}
    rows = paper[f'{prefix}_cityscapes_seq_mean_only']
    assert [(r['method'], r['mean']) for r in rows] == [('STPL (unverified mean)', listed[benchmark])]
    assert all(r['per_class'] is None and r['verified'] is False and r['arch'] == 'SF' for r in rows)
    reference = paper[f'{prefix}_cityscapes_seq_reference']
    assert reference == paper[f'{prefix}_cityscapes_seq_published'] + rows
