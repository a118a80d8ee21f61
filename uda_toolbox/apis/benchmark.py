"""The benchmark runner behind ``tools/benchmark.py``: a spec's (row, seed) jobs, tables and chart.

A spec is an mmengine config with ``rows`` (name, config, arch, optional ``depends``,
``cfg_options`` and ``paper``, the row's name in the paper's tables), ``seeds`` and
``work_dir``, and optionally ``cfg_options`` for every job (e.g. ``data_root`` and a
``schedule_scale``); a spec for real data also holds the paper's tables (``_base_`` =
``configs/_base_/paper_results.py``), which are then printed beside the measured rows.

Each job (row, seed) runs ``tools/train.py``'s then ``tools/test.py``'s ``main``, each in a process
of its own forked from a preloaded server (:mod:`uda_toolbox.apis.job_process`), so one failure is
reported and the rest go on. Up to ``jobs`` jobs run at once, each with 1/jobs of the CPU threads,
and a job starts as soon as the job it depends on (same row dependency, same seed) has finished. A
finished job (its ``test_metrics.json`` exists) is reused only when the fingerprint stored with it
(``fingerprint.json``: resolved config, code version, data version, the dependency's fingerprint;
:mod:`uda_toolbox.apis.fingerprint`) matches the job as it is now; otherwise it reruns, saying why
(``stale='refuse'``: it is reported as failed with the reason instead). The old run dir is kept as
``<run dir>.stale``. With ``resume`` an interrupted job continues from its last checkpoint, if its
fingerprint still matches. A row whose dependency failed is skipped with the reason. While jobs run,
a status line (jobs done, ETA, each running job with its log file) is printed at every change and
every ``status_interval`` seconds. The runner only orchestrates: every number comes from the tools'
own runs (docs/benchmarks.md).
"""
import json
import os
import os.path as osp
import queue
import shutil
import threading
import time
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from uda_toolbox.apis.checkpoints import latest_checkpoint
from uda_toolbox.apis.config import config_description, load_config
from uda_toolbox.apis.fingerprint import (
    FINGERPRINT_FILE,
    differences,
    job_fingerprint,
    read_fingerprint,
    unreadable_fingerprint,
)
from uda_toolbox.apis.job_process import run_tools
from uda_toolbox.evaluation import benchmark_table_options, benchmark_tables
from uda_toolbox.evaluation.visualization import plot_per_class_heatmap
from uda_toolbox.utils import atomic_write
from uda_toolbox.utils.progress import format_duration

#: ``tools/`` of this clone: the scripts every job runs (a caller may name another copy).
TOOLS_DIR = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools')
# The benchmark evaluates every run once, with tools/test.py; the validation pass that
# mmengine runs at the end of training would repeat it.
NO_VALIDATION = ['val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']

Results = Dict[str, Dict[int, dict]]  # row name -> seed -> the test_metrics.json record
STALE_POLICIES = ('rerun', 'refuse')
JOB_LOG = 'benchmark_job.log'


# ----------------------------------------------------------------------------- the spec
def slug(name: str) -> str:
    """Run-directory name of a row: ``'CBST*'`` -> ``'cbst_star'`` (so it differs from ``'CBST'``)."""
    name = name.replace('*', '_star')
    return ''.join(c if c.isalnum() else '_' for c in name).strip('_').lower() or 'row'


def order_rows(rows: List[dict]) -> List[dict]:
    """Rows in dependency order (a row after the row it ``depends`` on); cycles are errors."""
    by_name = {row['name']: row for row in rows}
    for row in rows:
        dep = row.get('depends')
        if dep is not None and dep not in by_name:
            raise ValueError(f'benchmark row {row["name"]!r} depends on unknown row {dep!r}; '
                             f'known rows: {sorted(by_name)}')
    ordered, state = [], {}

    def visit(name: str, chain: List[str]) -> None:
        if state.get(name) == 'done':
            return
        if state.get(name) == 'visiting':
            raise ValueError('benchmark spec has a cyclic dependency: '
                             + ' -> '.join(chain + [name]))
        state[name] = 'visiting'
        dep = by_name[name].get('depends')
        if dep is not None:
            visit(dep, chain + [name])
        state[name] = 'done'
        ordered.append(by_name[name])

    for row in rows:
        visit(row['name'], [])
    return ordered


def load_spec(path: str, only: Optional[Sequence[str]] = None) -> Tuple[Config, List[dict]]:
    """The spec and its rows in dependency order; a cycle, an unknown dependency or an unknown
    ``only`` row stops with a message (no traceback)."""
    spec = load_config(path)
    try:
        rows = order_rows(list(spec.rows))
        benchmark_table_options(spec)  # the metrics it declares are known ones
    except ValueError as err:
        raise SystemExit(f'{path}: {err}') from None
    if only:
        unknown = set(only) - {row['name'] for row in rows}
        if unknown:
            raise SystemExit(f'--only names unknown rows {sorted(unknown)}; spec rows: '
                             f'{[row["name"] for row in rows]}')
    return spec, rows


# ----------------------------------------------------------------------------- one job
def job_options(row: dict, seed: int, cfg_options: Sequence[str] = ()) -> List[str]:
    """The ``--cfg-options`` of a job's training: the seed, no validation, the row's options,
    then the command line's (``tools/benchmark.py --cfg-options``), which win."""
    return [f'randomness.seed={seed}', *NO_VALIDATION,
            *(f'{k}={v}' for k, v in row.get('cfg_options', {}).items()), *cfg_options]


def run_job(row: dict, seed: int, run_dir: str, load_from: Optional[str], resume: bool = False,
            threads: Optional[int] = None, tools_dir: str = TOOLS_DIR,
            cfg_options: Sequence[str] = ()) -> Dict:
    """Train then test one (row, seed), each tool in a process of its own; return its metrics record."""
    os.makedirs(run_dir, exist_ok=True)
    options = job_options(row, seed, cfg_options)
    # The test builds the model and data as trained (the row's and the global options).
    test_options = [o for o in options if o not in NO_VALIDATION]
    if load_from is not None:
        options.append(f'load_from={load_from}')
    out = osp.join(run_dir, 'test_metrics.json')
    train = [row['config'], '--work-dir', run_dir, *(['--resume'] if resume else []),
             '--cfg-options', *options]
    # CHECKPOINT = the run dir: tools/test.py takes its latest checkpoint (an error if none).
    test = [row['config'], run_dir, '--work-dir', run_dir, '--metrics-out', out,
            '--cfg-options', *test_options]
    run_tools(tools_dir, train, test, osp.join(run_dir, JOB_LOG), threads)
    return read_record(out)


def read_record(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


# ----------------------------------------------------------------------------- scheduling
def status_line(done: int, total: int, running: Dict[Tuple[str, int], float], durations: List[float],
                jobs: int, elapsed: float, logs: Dict[Tuple[str, int], str], now: float) -> str:
    """``3/10 jobs done, elapsed 0:04:05, ETA 0:09:30; running: CBST seed 0 (0:01:10, log: ...)``.

    The ETA assumes the jobs left take as long as the finished ones did on average, ``jobs`` at
    a time (unknown before the first one finishes)."""
    left = total - done
    if durations and left:
        eta = format_duration(sum(durations) / len(durations) * left / max(1, min(jobs, left)))
    else:
        eta = '0:00:00' if not left else 'unknown (no job finished yet)'
    line = f'{done}/{total} jobs done, elapsed {format_duration(elapsed)}, ETA {eta}'
    if running:
        line += '; running: ' + ', '.join(
            f'{name} seed {seed} ({format_duration(now - started)}, log: {logs[(name, seed)]})'
            for (name, seed), started in running.items())
    return line


class Scheduler:
    """Runs the (row, seed) jobs of a spec, at most ``jobs`` at once, in dependency order."""

    def __init__(self, rows: List[dict], seeds: List[int], work_dir: str, jobs: int = 1,
                 only: Optional[List[str]] = None, resume: bool = False,
                 tools_dir: str = TOOLS_DIR, cfg_options: Sequence[str] = (),
                 stale: str = 'rerun', status_interval: float = 60.0):
        if stale not in STALE_POLICIES:
            raise ValueError(f'stale must be one of {STALE_POLICIES}, got {stale!r}')
        self.rows, self.seeds, self.work_dir = rows, seeds, work_dir
        self.jobs, self.only, self.resume, self.tools_dir = jobs, only, resume, tools_dir
        self.cfg_options, self.stale, self.status_interval = list(cfg_options), stale, status_interval
        self.threads = max(1, (os.cpu_count() or 1) // jobs)
        self.results: Results = {}
        self.failed: Dict[Tuple[str, int], str] = {}
        self.timings: Dict[str, Dict[int, float]] = {}
        self.pending_keys: set = set()
        self.fingerprints: Dict[Tuple[str, int], dict] = {}
        self.outdated: set = set()  # jobs whose run dir holds another fingerprint's run

    def run_dir(self, name: str, seed: int) -> str:
        return osp.join(self.work_dir, slug(name), f'seed_{seed}')

    def fingerprint(self, row: dict, seed: int) -> dict:
        """The job's fingerprint (its dependency's first: rows come in dependency order)."""
        key = (row['name'], seed)
        if key not in self.fingerprints:
            dep = row.get('depends')
            try:
                self.fingerprints[key] = job_fingerprint(
                    row['config'], job_options(row, seed, self.cfg_options),
                    dependency=self.fingerprints.get((dep, seed)) if dep is not None else None,
                    tools_dir=self.tools_dir)
            except (Exception, SystemExit) as err:  # noqa: BLE001 -- the job reports it
                # A config that cannot be read: the job runs and fails with the tool's message.
                self.fingerprints[key] = unreadable_fingerprint(row['config'], err)
        return self.fingerprints[key]

    def _reuse_finished(self, queue_: List[Tuple[dict, int]]) -> List[Tuple[dict, int]]:
        """Record the jobs that finished earlier with the same fingerprint; return the others
        that should run (a stale result reruns, or with ``stale='refuse'`` fails, saying why)."""
        todo = []
        for row, seed in queue_:
            key, run_dir = (row['name'], seed), self.run_dir(row['name'], seed)
            out = osp.join(run_dir, 'test_metrics.json')
            selected = not self.only or row['name'] in self.only
            reasons = differences(read_fingerprint(run_dir), self.fingerprint(row, seed)) \
                if osp.isdir(run_dir) else []
            if reasons:
                self.outdated.add(key)
            if osp.isfile(out) and not reasons:
                self.results.setdefault(row['name'], {})[seed] = read_record(out)
                print(f'{row["name"]} seed {seed}: done earlier with the same config, code and '
                      f'data, reused ({out})', flush=True)
            elif osp.isfile(out) and (self.stale == 'refuse' or not selected):
                why = 'not rerun: not in --only' if not selected else 'refused (--stale refuse)'
                self.failed[key] = f'earlier result is stale ({"; ".join(reasons)}); {why}'
                print(f'{row["name"]} seed {seed}: STALE: {self.failed[key]}', flush=True)
            elif selected:
                if osp.isfile(out):
                    print(f'{row["name"]} seed {seed}: earlier result is stale '
                          f'({"; ".join(reasons)}); rerunning', flush=True)
                todo.append((row, seed))
        return todo

    def _blocked(self, row: dict, seed: int, running: set) -> Optional[str]:
        """'wait' while the dependency is pending or running, a reason if it cannot run, else None."""
        dep = row.get('depends')
        if dep is None:
            return None
        if (dep, seed) in self.failed:
            return f'dependency {dep!r} failed'
        if (dep, seed) in running or (dep, seed) in self.pending_keys:
            return 'wait'
        if latest_checkpoint(self.run_dir(dep, seed)) is None:
            return f'dependency {dep!r} has no checkpoint for seed {seed}'
        return None

    def run(self) -> None:
        pending = self._reuse_finished([(row, seed) for row in self.rows for seed in self.seeds])
        # Jobs that others start from go first (in spec order otherwise), so that a chain near the
        # end of the spec (TPS -> DA-STC) does not leave one core idle at the end.
        needed = {row.get('depends') for row in self.rows}
        pending.sort(key=lambda job: job[0]['name'] not in needed)
        total, done = len(pending), 0
        self.pending_keys = {(row['name'], seed) for row, seed in pending}
        running: Dict[Tuple[str, int], float] = {}
        logs = {key: osp.join(self.run_dir(*key), JOB_LOG) for key in self.pending_keys}
        durations: List[float] = []
        finished: queue.Queue = queue.Queue()
        start = time.time()

        def status() -> None:
            now = time.time()
            print(status_line(done, total, running, durations, self.jobs, now - start, logs, now),
                  flush=True)

        if total:
            print(f'{total} jobs to run, {min(self.jobs, total)} at a time with '
                  f'{self.threads} CPU thread(s) each', flush=True)
        while pending or running:
            started = False
            for row, seed in list(pending):
                if len(running) >= self.jobs:
                    break
                key = (row['name'], seed)
                why = self._blocked(row, seed, set(running))
                if why == 'wait':
                    continue
                pending.remove((row, seed))
                self.pending_keys.discard(key)
                if why is not None:
                    self.failed[key] = why
                    done += 1
                    print(f'{row["name"]} seed {seed}: SKIPPED: {why}', flush=True)
                    continue
                running[key] = time.time()
                started = True
                print(f'{row["name"]} seed {seed}: running (log: {logs[key]})', flush=True)
                threading.Thread(target=self._work, args=(row, seed, finished), daemon=True).start()
            if started:
                status()
            if not running:
                continue  # everything left was skipped or can be started now
            try:
                key, record, error = finished.get(timeout=self.status_interval)
            except queue.Empty:
                status()  # a line every status_interval seconds, with each job's log
                continue
            elapsed = time.time() - running.pop(key)
            done += 1
            durations.append(elapsed)
            self.timings.setdefault(key[0], {})[key[1]] = round(elapsed, 1)
            if error is None:
                self.results.setdefault(key[0], {})[key[1]] = record
                print(f'{key[0]} seed {key[1]}: finished in {elapsed:.0f} s', flush=True)
            else:
                self.failed[key] = error
                print(f'{key[0]} seed {key[1]}: FAILED after {elapsed:.0f} s: {error}', flush=True)
            status()
        if total:
            print(f'all jobs finished in {time.time() - start:.0f} s', flush=True)

    def _prepare_run_dir(self, row: dict, seed: int) -> bool:
        """Move a run dir that holds another fingerprint's run aside (``<run dir>.stale``, the
        previous one of those removed), write this job's fingerprint; whether to resume."""
        key, run_dir = (row['name'], seed), self.run_dir(row['name'], seed)
        if key in self.outdated and osp.isdir(run_dir):
            aside = run_dir + '.stale'
            if osp.isdir(aside):
                shutil.rmtree(aside)
            os.replace(run_dir, aside)
        os.makedirs(run_dir, exist_ok=True)
        with atomic_write(osp.join(run_dir, FINGERPRINT_FILE)) as tmp:
            tmp.write_text(json.dumps(self.fingerprint(row, seed), indent=1))
        return self.resume and key not in self.outdated

    def _work(self, row: dict, seed: int, finished: queue.Queue) -> None:
        run_dir = self.run_dir(row['name'], seed)
        dep = row.get('depends')
        try:
            resume = self._prepare_run_dir(row, seed)
            load_from = latest_checkpoint(self.run_dir(dep, seed)) if dep is not None else None
            record = run_job(row, seed, run_dir, load_from, resume=resume, threads=self.threads,
                             tools_dir=self.tools_dir, cfg_options=self.cfg_options)
            finished.put(((row['name'], seed), record, None))
        except Exception as err:  # noqa: BLE001 -- any failure is reported, the others go on
            log = osp.join(run_dir, JOB_LOG)
            finished.put(((row['name'], seed), None, f'{err} (log: {log})'))


# ----------------------------------------------------------------------------- outputs
def write_tables(spec: Config, rows: List[dict], results: Results, work_dir: str) -> dict:
    """Tables 1 and 2 (+ the paper's rows when the spec holds them) and the per-class chart."""
    classes = next(iter(next(iter(results.values())).values()))['classes']
    order = [row['name'] for row in rows if row['name'] in results]
    reference = {}
    if 'paper_table1_miou' in spec:
        reference = {'Table 1': spec.paper_table1_miou,
                     'Table 2': spec.get('paper_table2_vpq', [])}
    options = benchmark_table_options(spec)
    # What each row runs, from its config (issue 16: hand-written labels had drifted).
    options['notes'] = [row_description(row) for row in rows if row['name'] in results] \
        + options['notes']
    tables = benchmark_tables(
        {n: [results[n][s]['metrics'] for s in sorted(results[n])] for n in order}, classes,
        arch={row['name']: row.get('arch', '-') for row in rows}, reference=reference,
        reference_classes=spec.get('paper_classes', ()),
        paper_names={row['name']: row['paper'] for row in rows if 'paper' in row}, **options)
    os.makedirs(work_dir, exist_ok=True)
    for ext in ('md', 'csv', 'json'):
        with atomic_write(osp.join(work_dir, f'results.{ext}')) as tmp:
            tmp.write_text(tables['markdown'] + '\n' if ext == 'md' else tables[ext])
    chart = osp.join(work_dir, 'miou_per_class.png')
    plot_miou_chart(json.loads(tables['json']), classes, order, chart)
    tables['chart'] = chart
    return tables


def row_description(row: dict) -> str:
    """``'<row>: <its config's description>[, from <depends>]'`` for the notes under the tables
    (the config's path when it states no ``description``)."""
    try:
        what = config_description(row['config'])
    except (OSError, ValueError):
        what = row['config']
    text = f'{row["name"]}: {what}'
    return text + (f', from {row["depends"]}' if row.get('depends') else '')


def plot_miou_chart(records: dict, classes: List[str], order: List[str], out_png: str) -> None:
    """Per-class IoU of every method (mean over seeds, std under it) as a method x class
    heatmap with the values, from the tables' JSON records."""
    shown = [c for c in classes if any(f'IoU.{c}' in records[m] for m in order)]
    cells = {m: {c: records[m].get(f'IoU.{c}', {}).get('mean') for c in shown} for m in order}
    spread = {m: {c: records[m].get(f'IoU.{c}', {}).get('std') for c in shown} for m in order
              if any(len(records[m].get(f'IoU.{c}', {}).get('values') or []) > 1 for c in shown)}
    plot_per_class_heatmap(cells, shown, out_png, errors=spread or None,
                           title='Per-class IoU (%) on the target domain, mean over seeds')


def options_as_strings(cfg_options: Optional[dict]) -> List[str]:
    """``{'a.b': 1, 'c': [1, 2]}`` (as ``DictAction`` parsed them) back to ``['a.b=1', 'c=[1, 2]']``
    for the jobs' command lines (``DictAction`` reads them back to the same values)."""
    def text(value) -> str:
        if isinstance(value, (list, tuple)):
            inner = ','.join(text(v) for v in value)
            return f'[{inner}]' if isinstance(value, list) else f'({inner})'
        return str(value)
    return [f'{key}={text(value)}' for key, value in (cfg_options or {}).items()]


def write_timings(work_dir: str, jobs: int, scheduler: Scheduler) -> None:
    """``timings.json``: seconds per job, with how many ran at once and their threads."""
    os.makedirs(work_dir, exist_ok=True)
    with atomic_write(osp.join(work_dir, 'timings.json')) as tmp:
        tmp.write_text(json.dumps(dict(jobs=jobs, threads_per_job=scheduler.threads,
                                       seconds=scheduler.timings), indent=1))


def run_benchmark(spec_path: str, work_dir: Optional[str] = None, seeds: Optional[int] = None,
                  jobs: int = 1, only: Optional[List[str]] = None, resume: bool = False,
                  tools_dir: str = TOOLS_DIR, cfg_options: Optional[dict] = None,
                  stale: str = 'rerun', status_interval: float = 60.0) -> int:
    """Run a spec's jobs, write and print its tables; 1 if a job failed or was skipped, else 0.

    ``seeds``: run seeds 0..seeds-1 instead of the spec's; ``cfg_options``: overrides for every
    job (after each row's own and the spec's ``cfg_options``), as ``--cfg-options`` of the other
    tools; ``stale``: what to do
    with a finished job whose fingerprint no longer matches (``'rerun'`` or ``'refuse'``); the
    other arguments as the flags of ``tools/benchmark.py``.
    """
    spec, rows = load_spec(spec_path, only)
    work_dir = work_dir or spec.get('work_dir', 'work_dirs/benchmark')
    seed_list = list(range(seeds)) if seeds else list(spec.get('seeds', [0]))
    # The spec's own options for every job (e.g. a shorter schedule), then the command line's.
    options = {**(spec.get('cfg_options') or {}), **(cfg_options or {})}
    scheduler = Scheduler(rows, seed_list, work_dir, jobs=jobs, only=only, resume=resume,
                          tools_dir=tools_dir, cfg_options=options_as_strings(options),
                          stale=stale, status_interval=status_interval)
    scheduler.run()
    if scheduler.timings:
        write_timings(work_dir, jobs, scheduler)
    if scheduler.results:
        tables = write_tables(spec, rows, scheduler.results, work_dir)
        print(tables['markdown'])
        print(f'tables written to {work_dir}/results.{{md,csv,json}}, chart to {tables["chart"]}')
    for (name, seed), why in scheduler.failed.items():
        print(f'FAILED {name} seed {seed}: {why}')
    return 1 if scheduler.failed else 0
