import json

import pytest

from tools.benchmark import main, order_rows


def test_rows_are_ordered_after_their_dependency():
    rows = [dict(name='VST', depends='VAT'), dict(name='VAT'), dict(name='Source-only')]
    assert [r['name'] for r in order_rows(rows)] == ['VAT', 'VST', 'Source-only']


def test_cycles_and_unknown_dependencies_are_errors():
    with pytest.raises(ValueError, match='cyclic dependency: A -> B -> A'):
        order_rows([dict(name='A', depends='B'), dict(name='B', depends='A')])
    with pytest.raises(ValueError, match="unknown row 'Z'"):
        order_rows([dict(name='A', depends='Z')])


def test_failed_dependency_skips_dependents_and_finished_jobs_are_reused(tmp_path, capsys):
    work = tmp_path / 'bench'
    spec = tmp_path / 'spec.py'
    spec.write_text(f"""
work_dir = '{work}'
seeds = [0]
rows = [dict(name='Broken', config='{tmp_path}/missing_config.py', arch='AT'),
        dict(name='Child', config='{tmp_path}/missing_config.py', depends='Broken'),
        dict(name='Done', config='{tmp_path}/missing_config.py')]
""")
    # A finished job: its metrics file exists, so it is not run again.
    done = work / 'done' / 'seed_0'
    done.mkdir(parents=True)
    (done / 'test_metrics.json').write_text(json.dumps(dict(
        classes=['road', 'sky'], metrics={'mIoU': 50.0, 'IoU.road': 40.0, 'IoU.sky': 60.0})))
    assert main([str(spec)]) == 1
    out = capsys.readouterr().out
    assert 'Broken seed 0: FAILED' in out
    assert "Child seed 0: SKIPPED: dependency 'Broken' failed" in out
    assert 'Done seed 0: done earlier, skipped' in out
    assert '| Done (1 seed) | - | 40.0 | 60.0 | 50.0 |' in out
    assert (work / 'results.md').is_file() and (work / 'results.csv').is_file()
