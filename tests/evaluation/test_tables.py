import json
import math

from uda_toolbox.evaluation import benchmark_tables

CLASSES = ['road', 'sky', 'bus']


def _run(road, sky, vpq):
    return {'mIoU': (road + sky) / 2, 'IoU.road': road, 'IoU.sky': sky, 'IoU.bus': math.nan,
            'VPQ': vpq, 'VPQ_k0': vpq + 1, 'VPQ_k5': vpq, 'VPQ_k10': vpq, 'VPQ_k15': vpq - 1,
            'VPQ.road': vpq, 'VPQ.sky': vpq, 'VPQ.bus': math.nan}


def test_mean_std_over_seeds_and_reference_layout():
    results = {'Source-only': [_run(40.0, 80.0, 30.0), _run(50.0, 90.0, 40.0)],
               'Oracle': [_run(90.0, 95.0, 80.0)]}
    out = benchmark_tables(results, CLASSES, arch={'Source-only': '-', 'Oracle': '-'})
    md = out['markdown']
    assert 'Table 1: mIoU (%)' in md and 'Table 2: VPQ^s (%)' in md
    # mean ± sample std over the two seeds: road 45 ± 7.07, mIoU 65 ± 7.07
    assert '| Source-only (2 seeds) | - | 45.0 ± 7.1 | 85.0 ± 7.1 | 65.0 ± 7.1 |' in md
    assert '| Oracle (1 seed) | - | 90.0 | 95.0 | 92.5 |' in md
    # 'bus' has no value in any run: left out of both tables.
    assert 'bus' not in md
    records = json.loads(out['json'])
    assert records['Source-only']['IoU.road']['values'] == [40.0, 50.0]
    assert abs(records['Source-only']['mIoU']['std'] - math.sqrt(50.0)) < 1e-9
    assert 'Table 1,Oracle,-,1,mIoU,92.5000,0.0000' in out['csv'].splitlines()
