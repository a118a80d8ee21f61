"""What the Cityscapes-Seq benchmarks need from evaluation: mIoU without VPQ^s (absent, never 0),
a class left out of the report after the IoUs are computed (SYNTHIA-Seq's fence), and benchmark
tables that say "not defined" where a spec declares it."""
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from uda_toolbox.evaluation import benchmark_table_options, benchmark_tables
from uda_toolbox.registry import METRICS

CLASSES = ('road', 'fence', 'car')


def sample(pred, gt, clip_id):
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.tensor(pred).reshape(1, 1, -1))
    s.gt_sem_seg = PixelData(data=torch.tensor(gt).reshape(1, 1, -1))
    s.set_metainfo(dict(clip_id=clip_id, frame_idx=0))
    return s.to_dict()


def evaluate(**kwargs):
    metric = METRICS.build(dict(type='ClipSegMetric', window_sizes=None, **kwargs))
    metric.dataset_meta = dict(classes=CLASSES)
    # gt 0 0 1 1 2 2 / pred 0 1 1 2 2 2: IoU road 1/2, fence 1/3, car 2/3 (by hand)
    metric.process({}, [sample([0, 1, 1], [0, 0, 1], 'a'), sample([2, 2, 2], [1, 2, 2], 'b')])
    return metric.compute_metrics(metric.results)


def test_no_vpq_keys_when_window_sizes_is_none():
    metrics = evaluate()
    assert not [k for k in metrics if k.startswith('VPQ')]
    assert math.isclose(metrics['mIoU'], 100 * (1 / 2 + 1 / 3 + 2 / 3) / 3)
    assert math.isclose(metrics['IoU.fence'], 100 / 3)


def test_unreported_class_counts_in_the_confusion_but_not_in_the_report():
    metrics = evaluate(unreported_classes=('fence',))
    assert 'IoU.fence' not in metrics
    # the car IoU still pays for the fence pixel predicted as car: 2/3, not 1
    assert math.isclose(metrics['IoU.car'], 100 * 2 / 3)
    assert math.isclose(metrics['mIoU'], 100 * (1 / 2 + 2 / 3) / 2)
    with pytest.raises(ValueError, match=r"unreported_classes \['wall'\]"):
        evaluate(unreported_classes=('wall',))


def _run(road, car):
    return {'mIoU': (road + car) / 2, 'IoU.road': road, 'IoU.car': car}


def test_tables_say_not_defined_and_never_print_zeros(repo_root):
    spec = Config.fromfile(str(repo_root / 'configs/benchmarks/synthia2cityscapes_seq.py'))
    options = benchmark_table_options(spec)
    assert options['metrics'] == ('mIoU',) and set(options['not_defined']) == {'VPQ'}
    results = {'Source-only': [_run(50.0, 30.0)], 'VAT': [_run(60.0, 40.0)]}
    out = benchmark_tables(results, ['road', 'car'], reference={'Table 1': spec.paper_table1_miou},
                           reference_classes=spec.paper_classes,
                           paper_names={'Source-only': 'Source only'}, **options)
    md = out['markdown']
    table1, table2 = md.split('**Table 2: VPQ^s (%)**')
    assert 'Not defined on this benchmark: VPQ^s needs several annotated frames' in table2
    assert not any(ch.isdigit() for ch in table2.split('- AdaptSegNet')[0].replace('^s', ''))
    lines = table1.splitlines()
    measured = lines.index(next(line for line in lines if line.startswith('| Source-only (1 seed)')))
    assert lines[measured + 1].startswith('| Source only (paper) | - | 56.3 |')  # road, TPS Table 1
    assert '| TPS (paper) |' in table1 and '53.8' in table1
    assert '- VAT: no published result on this benchmark' in md
    assert 'VPQ' not in out['csv'] and 'VPQ' not in out['json']
    # today's runner, without the spec's options: no empty table, no zeros either
    plain = benchmark_tables(results, ['road', 'car'])['markdown']
    assert plain.endswith('**Table 2: VPQ^s (%)**\n\nNo run reported VPQ.')


def test_a_mean_only_paper_row_prints_its_mean_and_no_class_values(repo_root):
    spec = Config.fromfile(str(repo_root / 'configs/benchmarks/viper2cityscapes_seq.py'))
    paper_names = {row['name']: row['paper'] for row in spec.rows if 'paper' in row}
    results = {'STPL (our reading)': [_run(70.0, 50.0)]}
    md = benchmark_tables(results, ['road', 'car'], reference={'Table 1': spec.paper_table1_miou},
                          reference_classes=spec.paper_classes, paper_names=paper_names,
                          **benchmark_table_options(spec))['markdown']
    lines = md.splitlines()
    measured = lines.index(next(line for line in lines if line.startswith('| STPL (our reading)')))
    # right after the measured row: '-' in the class columns (road, car), the listed mean last
    cells = [c.strip() for c in lines[measured + 1].strip('|').split('|')]
    assert cells == ['STPL (unverified mean) (paper)', 'SF', '-', '-', '52.5']


def test_spec_options_reject_unknown_metrics():
    with pytest.raises(ValueError, match='unknown metrics'):
        benchmark_table_options(dict(metrics=['mIoU', 'PQ']))
    assert benchmark_table_options({}) == dict(metrics=('mIoU', 'VPQ'), not_defined={}, notes=[])
