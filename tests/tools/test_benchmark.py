import json
import os
import subprocess
import sys

import pytest
import torch

from tools.benchmark import main
from uda_toolbox.apis.benchmark import Scheduler, order_rows, status_line


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
    # A finished job: its metrics file exists with the fingerprint of the job as it is now, so it
    # is not run again.
    done = work / 'done' / 'seed_0'
    done.mkdir(parents=True)
    (done / 'test_metrics.json').write_text(json.dumps(dict(
        classes=['road', 'sky'], metrics={'mIoU': 50.0, 'IoU.road': 40.0, 'IoU.sky': 60.0})))
    fingerprint = Scheduler([], [0], str(work)).fingerprint(
        dict(name='Done', config=f'{tmp_path}/missing_config.py'), 0)
    (done / 'fingerprint.json').write_text(json.dumps(fingerprint))
    assert main([str(spec)]) == 1
    out = capsys.readouterr().out
    assert 'Broken seed 0: FAILED' in out
    assert "Child seed 0: SKIPPED: dependency 'Broken' failed" in out
    assert 'Done seed 0: done earlier with the same config, code and data, reused' in out
    assert '| Done (1 seed) | - | 40.0 | 60.0 | 50.0 |' in out
    assert (work / 'results.md').is_file() and (work / 'results.csv').is_file()


def _fake_record(value):
    return dict(classes=['road', 'sky'], metrics={'mIoU': value, 'IoU.road': value, 'IoU.sky': value,
                                                  'VPQ': value / 2, 'VPQ.road': value / 2,
                                                  'VPQ.sky': value / 2})


def _spec(tmp_path, rows):
    spec = tmp_path / 'spec.py'
    spec.write_text(f"work_dir = '{tmp_path / 'bench'}'\nseeds = [0]\nrows = {rows!r}\n")
    return spec


@pytest.fixture
def fake_jobs(monkeypatch):
    """Replace the train+test subprocesses with a short sleep that writes a checkpoint."""
    import threading
    import time

    import uda_toolbox.apis.benchmark as benchmark
    calls, lock = [], threading.Lock()

    def fake_run_job(row, seed, run_dir, load_from, resume=False, threads=None, tools_dir=None,
                     cfg_options=()):
        import os
        start = time.time()
        time.sleep(0.3)
        os.makedirs(run_dir, exist_ok=True)
        ckpt = os.path.join(run_dir, 'iter_1.pth')
        torch.save(dict(meta=dict(iter=1), state_dict={}), ckpt)  # the scheduler verifies it
        open(os.path.join(run_dir, 'last_checkpoint'), 'w').write(ckpt)
        with lock:
            calls.append(dict(name=row['name'], seed=seed, start=start, end=time.time(),
                              load_from=load_from, resume=resume, threads=threads,
                              tools_dir=tools_dir, cfg_options=list(cfg_options)))
        if row['name'] == 'Broken':
            raise RuntimeError('training crashed')
        record = _fake_record(float(len(row['name'])))
        open(os.path.join(run_dir, 'test_metrics.json'), 'w').write(json.dumps(record))
        return record

    monkeypatch.setattr(benchmark, 'run_job', fake_run_job)
    monkeypatch.setattr(benchmark, 'plot_miou_chart', lambda *args: None)
    return calls


def test_parallel_jobs_wait_for_their_dependency(tmp_path, capsys, fake_jobs, monkeypatch,
                                                 repo_root):
    monkeypatch.setattr('os.cpu_count', lambda: 4)
    rows = [dict(name='Warm', config='w.py'), dict(name='Other', config='o.py'),
            dict(name='Child', config='c.py', depends='Warm')]
    assert main([str(_spec(tmp_path, rows)), '--jobs', '2', '--seeds', '2']) == 0
    by = {(c['name'], c['seed']): c for c in fake_jobs}
    assert len(by) == 6
    for seed in (0, 1):
        child, warm = by[('Child', seed)], by[('Warm', seed)]
        assert child['start'] >= warm['end']  # a dependent starts only after its warm-up finished
        assert child['load_from'] == str(tmp_path / 'bench' / 'warm' / f'seed_{seed}' / 'iter_1.pth')
    # never more than 2 jobs at once, and the 4 threads are split between them
    events = sorted([(c['start'], 1) for c in fake_jobs] + [(c['end'], -1) for c in fake_jobs])
    running, peak = 0, 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert peak == 2
    assert {c['threads'] for c in fake_jobs} == {2}
    assert {c['tools_dir'] for c in fake_jobs} == {str(repo_root / 'tools')}  # the tools of this clone
    out = capsys.readouterr().out
    assert '6 jobs to run, 2 at a time with 2 CPU thread(s) each' in out
    assert '6/6 jobs done, elapsed 0:00:0' in out and 'ETA 0:00:00' in out  # the last status line
    assert 'Warm seed 0: running (log: ' + str(tmp_path / 'bench' / 'warm' / 'seed_0' /
                                                'benchmark_job.log') in out
    assert 'Child seed 1: finished in' in out
    assert '| Child (2 seeds) | - | 5.0 ± 0.0 | 5.0 ± 0.0 | 5.0 ± 0.0 |' in out


def test_jobs_that_others_start_from_run_first(tmp_path, fake_jobs):
    rows = [dict(name='Plain', config='p.py'), dict(name='Warm', config='w.py'),
            dict(name='Child', config='c.py', depends='Warm')]
    assert main([str(_spec(tmp_path, rows)), '--jobs', '1']) == 0
    assert [c['name'] for c in sorted(fake_jobs, key=lambda c: c['start'])] == [
        'Warm', 'Plain', 'Child']


def test_rerun_reuses_finished_jobs_and_resume_continues_unfinished(tmp_path, capsys, fake_jobs):
    rows = [dict(name='Warm', config='w.py'), dict(name='Child', config='c.py', depends='Warm')]
    spec = _spec(tmp_path, rows)
    assert main([str(spec)]) == 0
    assert [c['name'] for c in fake_jobs] == ['Warm', 'Child']
    # Child was interrupted: its checkpoint exists but its metrics do not.
    (tmp_path / 'bench' / 'child' / 'seed_0' / 'test_metrics.json').unlink()
    fake_jobs.clear()
    assert main([str(spec), '--resume']) == 0
    assert [(c['name'], c['resume']) for c in fake_jobs] == [('Child', True)]
    assert 'Warm seed 0: done earlier with the same config, code and data, reused' in \
        capsys.readouterr().out


def _configs(tmp_path, data_root=None):
    """Two tiny config files (a 10-iteration schedule; one reads ``data_root``)."""
    paths = {}
    for name in ('warm', 'child'):
        path = tmp_path / f'{name}.py'
        text = 'train_cfg = dict(max_iters=10)\nmodel = dict(type="X", lr=0.1)\n'
        if data_root is not None and name == 'warm':
            text += f"train_dataloader = dict(dataset=dict(data_root='{data_root}'))\n"
        path.write_text(text)
        paths[name] = str(path)
    return paths


def test_changed_cfg_options_rerun_the_row_and_its_dependents(tmp_path, capsys, fake_jobs):
    """Issue 25: a row whose cfg_options changed is not reused; the reason names the key."""
    paths = _configs(tmp_path)
    rows = [dict(name='Warm', config=paths['warm']),
            dict(name='Child', config=paths['child'], depends='Warm')]
    assert main([str(_spec(tmp_path, rows))]) == 0
    assert main([str(_spec(tmp_path, rows))]) == 0  # nothing changed: both reused
    assert [c['name'] for c in fake_jobs] == ['Warm', 'Child']
    capsys.readouterr()
    rows[0]['cfg_options'] = {'model.lr': 0.01}
    assert main([str(_spec(tmp_path, rows))]) == 0
    out = capsys.readouterr().out
    assert [c['name'] for c in fake_jobs] == ['Warm', 'Child', 'Warm', 'Child']
    assert 'Warm seed 0: earlier result is stale (config changed (model.lr: 0.1 -> 0.01)); ' \
        'rerunning' in out
    assert 'Child seed 0: earlier result is stale (the run it starts from (depends) changed); ' \
        'rerunning' in out
    bench = tmp_path / 'bench'
    assert (bench / 'warm' / 'seed_0.stale' / 'test_metrics.json').is_file()  # the old run, aside
    stored = json.loads((bench / 'warm' / 'seed_0' / 'fingerprint.json').read_text())
    assert stored['config']['model.lr'] == '0.01' and stored['config']['randomness.seed'] == '0'


def test_global_cfg_options_reach_every_job_and_stale_results_can_be_refused(tmp_path, capsys,
                                                                            fake_jobs):
    paths = _configs(tmp_path)
    rows = [dict(name='Warm', config=paths['warm']),
            dict(name='Child', config=paths['child'], depends='Warm')]
    spec = str(_spec(tmp_path, rows))
    assert main([spec, '--cfg-options', 'train_cfg.max_iters=4']) == 0
    assert {tuple(c['cfg_options']) for c in fake_jobs} == {('train_cfg.max_iters=4',)}
    fake_jobs.clear()
    capsys.readouterr()
    # Back to the full length: the stored results are of the 4-iteration runs.
    assert main([spec, '--stale', 'refuse']) == 1
    out = capsys.readouterr().out
    assert fake_jobs == []
    assert 'Warm seed 0: STALE: earlier result is stale (config changed (train_cfg.max_iters: ' \
        '4 -> 10)); refused (--stale refuse)' in out
    assert "FAILED Child seed 0: earlier result is stale" in out


def test_spec_cfg_options_reach_every_job_and_the_command_line_wins(tmp_path, fake_jobs):
    """A spec's own cfg_options (e.g. the embedded demo's schedule) go to every job, after the
    row's; --cfg-options of the command line come last and win."""
    paths = _configs(tmp_path)
    rows = [dict(name='Warm', config=paths['warm'], cfg_options={'model.lr': 0.5}),
            dict(name='Child', config=paths['child'], depends='Warm')]
    spec = _spec(tmp_path, rows)
    spec.write_text(spec.read_text() + "cfg_options = dict(schedule_scale=0.5)\n")
    assert main([str(spec)]) == 0
    options = {c['name']: c['cfg_options'] for c in fake_jobs}
    assert options == {'Warm': ['schedule_scale=0.5'], 'Child': ['schedule_scale=0.5']}
    fake_jobs.clear()
    assert main([str(spec), '--cfg-options', 'schedule_scale=0.3']) == 0
    assert {tuple(c['cfg_options']) for c in fake_jobs} == {('schedule_scale=0.3',)}


def _fake_tools(tmp_path, train_body):
    """A tools dir whose train.py runs ``train_body`` and whose test.py writes a metrics file."""
    tools = tmp_path / 'tools'
    tools.mkdir()
    (tools / 'train.py').write_text(
        'import json, os, sys\nimport torch\n\n\ndef main(argv):\n' + train_body)
    (tools / 'test.py').write_text(
        'import json, sys\n\n\ndef main(argv):\n'
        '    print("testing", argv[1])\n'
        '    json.dump(dict(classes=["road"], metrics={"mIoU": 1.0}), open(argv[argv.index('
        '"--metrics-out") + 1], "w"))\n')
    return str(tools)


def test_each_tool_of_a_job_runs_in_a_forked_process_with_its_threads_and_log(tmp_path):
    from uda_toolbox.apis.benchmark import run_job
    tools = _fake_tools(tmp_path, '    print("training", argv[0], os.environ["OMP_NUM_THREADS"],\n'
                        '          torch.get_num_threads(), "uda_toolbox.models" in sys.modules)\n')
    run_dir = tmp_path / 'run'
    record = run_job(dict(name='A', config='cfg.py'), 3, str(run_dir), None, threads=1,
                     tools_dir=tools)
    assert record['metrics'] == {'mIoU': 1.0}
    log = (run_dir / 'benchmark_job.log').read_text()
    # one thread as asked; the toolbox was imported before the job (the fork server's preload)
    assert 'training cfg.py 1 1 True' in log
    assert f'testing {run_dir}' in log  # tested on the run dir: its latest checkpoint


def test_a_failing_tool_fails_the_job_with_its_reason_in_the_log(tmp_path):
    from uda_toolbox.apis.benchmark import run_job
    tools = _fake_tools(tmp_path, '    raise SystemExit("Data error: no such pair")\n')
    run_dir = tmp_path / 'run'
    with pytest.raises(RuntimeError, match='train.py exited with code 1'):
        run_job(dict(name='A', config='cfg.py'), 0, str(run_dir), None, tools_dir=tools)
    assert 'Data error: no such pair' in (run_dir / 'benchmark_job.log').read_text()
    assert not (run_dir / 'test_metrics.json').exists()  # the test never ran


def test_fingerprint_notices_code_and_data_and_missing_fingerprints(tmp_path):
    from uda_toolbox.apis import fingerprint as fp
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'a.png').write_bytes(b'1')
    paths = _configs(tmp_path, data_root=data)
    first = fp.job_fingerprint(paths['warm'], ['randomness.seed=0'])
    assert first['data'] == {str(data): fp.data_version(str(data))}
    assert fp.differences(first, first) == []
    assert fp.differences(None, first) == [
        'no fingerprint stored with the result (a run of an earlier version)']
    (data / 'b.png').write_bytes(b'2')  # the data set changed
    fp._DATA.clear()
    second = fp.job_fingerprint(paths['warm'], ['randomness.seed=0'])
    assert fp.differences(first, second) == [f'data changed under {data}']
    edited = dict(second, code=dict(digest='0' * 16, commit='abc'))
    assert fp.differences(edited, second)[0].startswith('code changed')
    # The run's own paths and the description are not part of what it computes.
    moved = fp.job_fingerprint(paths['warm'], ['randomness.seed=0', 'work_dir=elsewhere',
                                               'load_from=x.pth'])
    assert moved['config_digest'] == second['config_digest']


def test_status_line_has_the_eta_and_each_running_jobs_log():
    line = status_line(done=2, total=6, running={('CBST', 0): 100.0}, durations=[60.0, 120.0],
                       jobs=2, elapsed=190.0, logs={('CBST', 0): 'w/cbst/seed_0/benchmark_job.log'},
                       now=170.0)
    # 4 jobs left at 90 s each, 2 at a time: 180 s.
    assert line == ('2/6 jobs done, elapsed 0:03:10, ETA 0:03:00; running: CBST seed 0 '
                    '(0:01:10, log: w/cbst/seed_0/benchmark_job.log)')
    assert 'ETA unknown' in status_line(0, 3, {}, [], 1, 5.0, {}, 5.0)


def test_failed_job_does_not_stop_the_others(tmp_path, capsys, fake_jobs):
    rows = [dict(name='Broken', config='b.py'), dict(name='After', config='a.py', depends='Broken'),
            dict(name='Fine', config='f.py')]
    assert main([str(_spec(tmp_path, rows)), '--jobs', '2']) == 1
    out = capsys.readouterr().out
    assert 'Broken seed 0: FAILED after' in out and 'training crashed' in out
    assert "After seed 0: SKIPPED: dependency 'Broken' failed" in out
    assert 'Fine seed 0: finished in' in out
    assert [c['name'] for c in fake_jobs if c['name'] == 'After'] == []


def test_paper_rows_are_printed_beside_measured_rows(tmp_path, capsys, fake_jobs, repo_root):
    spec = tmp_path / 'spec.py'
    spec.write_text(f"""_base_ = ['{repo_root}/configs/_base_/paper_results.py']
work_dir = '{tmp_path / 'bench'}'
seeds = [0]
rows = [dict(name='Source-only', config='s.py', arch='-'),
        dict(name='Ours (VAT+VST)', config='v.py', arch='A+S', paper='Ours')]
""")
    assert main([str(spec)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    measured = next(i for i, line in enumerate(lines) if line.startswith('| Ours (VAT+VST) (1 seed)'))
    assert lines[measured + 1].startswith('| Ours (paper) | A+S |')
    assert '51.9' in lines[measured + 1]  # the paper's mIoU of its full method (Table 1)
    assert any(line.startswith('| Oracle (paper) | - |') for line in lines)  # not measured: listed last
    assert '| Source-only (paper) | - | 44.2 | 80.7 | 34.0 |' in lines  # road, sky, mIoU


def test_tiny_spec_end_to_end_through_the_real_tools(tmp_path, repo_root, tiny_pair):
    """Two cheap rows (source-only, then AdaBN from its checkpoint) through train.py + test.py."""
    cfg = tmp_path / 'tiny_source_only.py'
    cfg.write_text(f"""
_base_ = ['{repo_root}/configs/source_only/synthetic.py']
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    source=dict(data_root='{tiny_pair}'), target=dict(data_root='{tiny_pair}')))
val_dataloader = dict(batch_size=4, **_loader, dataset=dict(data_root='{tiny_pair}'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=2, by_epoch=False)]
""")
    rows = [dict(name='Source-only', config=str(cfg), arch='-'),
            dict(name='Again', config=str(cfg), arch='-', depends='Source-only',
                 cfg_options={'train_cfg.max_iters': 1})]
    spec = _spec(tmp_path, rows)
    proc = subprocess.run([sys.executable, str(repo_root / 'tools/benchmark.py'), str(spec),
                           '--jobs', '2'], cwd=repo_root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    work = tmp_path / 'bench'
    for name in ('source_only', 'again'):
        record = json.loads((work / name / 'seed_0' / 'test_metrics.json').read_text())
        assert 0.0 <= record['metrics']['mIoU'] <= 100.0
    assert 'Table 1: mIoU (%)' in proc.stdout and 'Table 2: VPQ^s (%)' in proc.stdout
    results = json.loads((work / 'results.json').read_text())
    assert set(results) == {'Source-only', 'Again'}
    assert (work / 'miou_per_class.png').stat().st_size > 0
    assert json.loads((work / 'timings.json').read_text())['jobs'] == 2
    # the second row started from the first row's checkpoint
    assert 'load_from' in (work / 'again' / 'seed_0' / 'benchmark_job.log').read_text()
    # A job's forked process gives what the two tools give as scripts: the same weights and the
    # same 97-value metrics record (the same options, seed and thread count).
    from uda_toolbox.apis.benchmark import job_options
    alone = tmp_path / 'alone'
    env = dict(os.environ, OMP_NUM_THREADS=str(
        json.loads((work / 'timings.json').read_text())['threads_per_job']))
    subprocess.run([sys.executable, 'tools/train.py', str(cfg), '--work-dir', str(alone),
                    '--cfg-options', *job_options(rows[0], 0)], cwd=repo_root, env=env,
                   check=True, capture_output=True)
    subprocess.run([sys.executable, 'tools/test.py', str(cfg), str(alone), '--work-dir', str(alone),
                    '--cfg-options', 'randomness.seed=0'], cwd=repo_root, env=env, check=True,
                   capture_output=True)
    job_weights = torch.load(work / 'source_only' / 'seed_0' / 'iter_2.pth')['state_dict']
    script_weights = torch.load(alone / 'iter_2.pth')['state_dict']
    assert job_weights.keys() == script_weights.keys()
    assert all(torch.equal(job_weights[k], script_weights[k]) for k in job_weights)
    assert json.loads((alone / 'test_metrics.json').read_text())['metrics'] == json.loads(
        (work / 'source_only' / 'seed_0' / 'test_metrics.json').read_text())['metrics']


@pytest.mark.parametrize('spec', ['synthetic_table1', 'synthetic_table3', 'synthetic_table4',
                                  'synthetic_table5', 'synthetic_table6', 'viper2cityscapes_table1'])
def test_shipped_specs_are_runnable(repo_root, spec):
    from mmengine.config import Config
    cfg = Config.fromfile(str(repo_root / 'configs' / 'benchmarks' / f'{spec}.py'))
    rows = order_rows(list(cfg.rows))
    for row in rows:
        assert (repo_root / row['config']).is_file(), row
        assert row.get('arch', '-') in ('-', 'AT', 'ST', 'A+S')
    names = {row['name'] for row in rows}
    if spec.endswith('table1'):
        # Shin et al. (2021)'s Table 1 rows, all present (+ AdaBN as a reference point)
        assert {'Source-only', 'AdaptSegNet', 'ADVENT', 'CBST', 'CRST', 'CBST*', 'CRST*', 'IAST',
                'Ours (VAT+VST)', 'Oracle', 'AdaBN'} <= names
        assert ('paper_table1_miou' in cfg) == spec.startswith('viper')


def test_the_job_server_module_is_light_enough_to_start_first(repo_root):
    """tools/benchmark.py starts the fork server before its own heavy imports, so the module that
    does it must not import torch or mmseg (otherwise nothing overlaps)."""
    code = ('import sys; import uda_toolbox.job_server as s; '
            'print(s.PRELOAD, "torch" in sys.modules, "mmseg" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], cwd=repo_root, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ['uda_toolbox.apis.job_preload', 'False', 'False']
