"""Run a matrix of configs over seeds and print Table-1/2-style results.

``python tools/benchmark.py SPEC [--work-dir D] [--seeds N] [--only ROW ...]``

A spec is an mmengine config with ``rows`` (name, config, arch, optional ``depends`` and
``cfg_options``), ``seeds`` and ``work_dir``. Each job (row, seed) runs tools/train.py
then tools/test.py in separate processes, so one failure is reported and the rest go on;
a job whose ``test_metrics.json`` exists is skipped (delete it to rerun). A row whose
dependency failed is skipped with the reason.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

from mmengine.config import Config  # noqa: E402

from uda_toolbox.evaluation import benchmark_tables  # noqa: E402
from uda_toolbox.utils import atomic_write  # noqa: E402

TOOLS = osp.dirname(osp.abspath(__file__))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run a benchmark spec and print its tables')
    parser.add_argument('spec', help='benchmark spec (configs/benchmarks/*.py)')
    parser.add_argument('--work-dir', help='override the spec\'s work_dir')
    parser.add_argument('--seeds', type=int, help='run seeds 0..N-1 instead of the spec\'s seeds')
    parser.add_argument('--only', nargs='+', help='run only these rows (by name); their '
                        'dependencies must have finished already or be listed too')
    return parser.parse_args(argv)


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


def last_checkpoint(run_dir: str) -> Optional[str]:
    """The checkpoint mmengine recorded last in ``run_dir`` (its ``last_checkpoint`` file)."""
    marker = osp.join(run_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    path = open(marker).read().strip()
    return path if osp.isfile(path) else None


def run_job(row: dict, seed: int, run_dir: str, load_from: Optional[str]) -> Dict:
    """Train then test one (row, seed) in subprocesses; return its metrics record."""
    os.makedirs(run_dir, exist_ok=True)
    options = [f'randomness.seed={seed}']
    options += [f'{k}={v}' for k, v in row.get('cfg_options', {}).items()]
    if load_from is not None:
        options.append(f'load_from={load_from}')
    log = open(osp.join(run_dir, 'benchmark_job.log'), 'a')
    train = [sys.executable, osp.join(TOOLS, 'train.py'), row['config'], '--work-dir', run_dir,
             '--cfg-options', *options]
    subprocess.run(train, check=True, stdout=log, stderr=subprocess.STDOUT)
    ckpt = last_checkpoint(run_dir)
    if ckpt is None:
        raise RuntimeError(f'training wrote no checkpoint in {run_dir}')
    out = osp.join(run_dir, 'test_metrics.json')
    test = [sys.executable, osp.join(TOOLS, 'test.py'), row['config'], ckpt, '--work-dir',
            run_dir, '--out', out, '--cfg-options', f'randomness.seed={seed}']
    subprocess.run(test, check=True, stdout=log, stderr=subprocess.STDOUT)
    return json.loads(open(out).read())


def main(argv=None) -> int:
    args = parse_args(argv)
    spec = Config.fromfile(args.spec)
    work_dir = args.work_dir or spec.get('work_dir', 'work_dirs/benchmark')
    seeds = list(range(args.seeds)) if args.seeds else list(spec.get('seeds', [0]))
    rows = order_rows(list(spec.rows))
    if args.only:
        unknown = set(args.only) - {row['name'] for row in rows}
        if unknown:
            raise SystemExit(f'--only names unknown rows {sorted(unknown)}; spec rows: '
                             f'{[row["name"] for row in rows]}')
    jobs = [(row, seed) for row in rows for seed in seeds]
    results: Dict[str, List[dict]] = {}
    failed: Dict[str, str] = {}
    start = time.time()
    for index, (row, seed) in enumerate(jobs, 1):
        name = row['name']
        run_dir = osp.join(work_dir, slug(name), f'seed_{seed}')
        out = osp.join(run_dir, 'test_metrics.json')
        prefix = f'[{index}/{len(jobs)}] {name} seed {seed}:'
        dep = row.get('depends')
        selected = not args.only or name in args.only
        if osp.isfile(out):
            results.setdefault(name, []).append(json.loads(open(out).read()))
            print(f'{prefix} done earlier, skipped ({out})', flush=True)
            continue
        if not selected:
            continue
        if dep is not None and dep in failed:
            failed[name] = f'dependency {dep!r} failed'
            print(f'{prefix} SKIPPED: {failed[name]}', flush=True)
            continue
        load_from = None
        if dep is not None:
            load_from = last_checkpoint(osp.join(work_dir, slug(dep), f'seed_{seed}'))
            if load_from is None:
                failed[name] = f'dependency {dep!r} has no checkpoint for seed {seed}'
                print(f'{prefix} SKIPPED: {failed[name]}', flush=True)
                continue
        tic = time.time()
        print(f'{prefix} running ...', flush=True)
        try:
            record = run_job(row, seed, run_dir, load_from)
            results.setdefault(name, []).append(record)
            print(f'{prefix} finished in {time.time() - tic:.0f} s', flush=True)
        except (subprocess.CalledProcessError, RuntimeError) as err:
            failed[name] = f'{err} (log: {osp.join(run_dir, "benchmark_job.log")})'
            print(f'{prefix} FAILED after {time.time() - tic:.0f} s: {failed[name]}', flush=True)
    print(f'all jobs finished in {time.time() - start:.0f} s', flush=True)

    if results:
        classes = next(iter(results.values()))[0]['classes']
        arch = {row['name']: row.get('arch', '-') for row in rows}
        order = [row['name'] for row in rows if row['name'] in results]
        tables = benchmark_tables({n: [r['metrics'] for r in results[n]] for n in order},
                                  classes, arch=arch)
        print(tables['markdown'])
        os.makedirs(work_dir, exist_ok=True)
        for ext in ('md', 'csv', 'json'):
            with atomic_write(osp.join(work_dir, f'results.{ext}')) as tmp:
                tmp.write_text(tables['markdown'] if ext == 'md' else tables[ext])
        print(f'tables written to {work_dir}/results.{{md,csv,json}}')
    for name, why in failed.items():
        print(f'FAILED {name}: {why}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
