"""Source-free adaptation end to end through tools/train.py on the tiny pair: every source-free
adaptor starts from a source-only checkpoint, trains, and resumes exactly; a run with the source
tree deleted trains and never touches a source path (Python's audit hook sees every open and
directory listing)."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

METHODS = ['shot', 'urma', 'hcl', 'stpl']


def _load_train_tool(repo_root):
    spec = importlib.util.spec_from_file_location('uda_tools_train_sf', repo_root / 'tools/train.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The 2-iteration source model is never 90% confident: STPL keeps every teacher label here.
EXTRA = dict(stpl='model = dict(confidence_threshold=None)')


def _write_config(path, base, data_root, max_iters, name, source=False, extra=''):
    domains = (f"source=dict(data_root='{data_root}'), " if source else '') + \
        f"target=dict(data_root='{data_root}')"
    path.write_text(f"""
_base_ = ['{base}']
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **_loader, dataset=dict({domains}))
# No validation: tests/tools covers evaluation; this test is about adaptation and its state.
val_dataloader = None
val_cfg = None
val_evaluator = None
train_cfg = dict(max_iters={max_iters}, val_interval=1000)
# The schedule ends at 4 in every run, so a 2-iteration run resumed to 4 sees the same lr.
param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=4, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=5), logger=dict(interval=1))
visualizer = dict(name='{name}')
{extra}
""")
    return str(path)


@pytest.fixture(scope='module')
def train_tool(repo_root):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield _load_train_tool(repo_root)
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def source_checkpoint(tmp_path_factory, repo_root, tiny_pair, train_tool):
    """The source stage (not part of adaptation): 2 iterations of source-only on the tiny pair."""
    root = tmp_path_factory.mktemp('source_stage')
    cfg = _write_config(root / 'source_only.py', repo_root / 'configs/source_only/synthetic.py',
                        tiny_pair, 2, 'sf_source_only', source=True)
    train_tool.main([cfg, '--work-dir', str(root / 'work')])
    return root / 'work' / 'iter_2.pth'


def _flat(obj, prefix=''):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _flat(value, f'{prefix}.{key}')
    elif isinstance(obj, (list, tuple)):
        for k, value in enumerate(obj):
            yield from _flat(value, f'{prefix}[{k}]')
    else:
        yield prefix, obj


def _same(a, b):
    return torch.equal(a, b) if torch.is_tensor(a) else a == b


@pytest.mark.parametrize('method', METHODS)
def test_adapts_from_the_source_checkpoint_and_resumes_exactly(method, tmp_path, repo_root,
                                                               tiny_pair, train_tool,
                                                               source_checkpoint):
    base = repo_root / f'configs/{method}/synthetic.py'
    load = ['--cfg-options', f'load_from={source_checkpoint}']
    extra = EXTRA.get(method, '')
    full = _write_config(tmp_path / 'full.py', base, tiny_pair, 4, f'sf_{method}_full', extra=extra)
    train_tool.main([full, '--work-dir', str(tmp_path / 'full'), *load])
    half = _write_config(tmp_path / 'half.py', base, tiny_pair, 2, f'sf_{method}_half', extra=extra)
    train_tool.main([half, '--work-dir', str(tmp_path / 'split'), *load])
    rest = _write_config(tmp_path / 'rest.py', base, tiny_pair, 4, f'sf_{method}_rest', extra=extra)
    train_tool.main([rest, '--work-dir', str(tmp_path / 'split'), '--resume', *load])

    a = torch.load(tmp_path / 'full' / 'iter_4.pth', map_location='cpu')
    b = torch.load(tmp_path / 'split' / 'iter_4.pth', map_location='cpu')
    source = torch.load(source_checkpoint, map_location='cpu')['state_dict']
    # adapted from the source model: its weights were loaded, then changed by training
    name = 'segmentor.backbone.layers.0.conv.weight'
    assert name in source and not torch.equal(a['state_dict'][name], source[name])
    assert bool(a['state_dict']['copies_initialised']) and int(a['state_dict']['step_count']) == 4
    # resumed exactly: every weight, buffer (model copies, step count, HCL's class EMA),
    # optimizer and scheduler state of the 2 + 2 run equals the uninterrupted run's
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    for part in ('optimizer', 'param_schedulers'):
        flat_a, flat_b = dict(_flat(a[part])), dict(_flat(b[part]))
        assert flat_a.keys() == flat_b.keys(), part
        assert all(_same(v, flat_b[k]) for k, v in flat_a.items()), part
    if method == 'urma':  # one pseudo-label round, restored on resume rather than redone
        assert a['pseudo_labels']['rounds_done'] == b['pseudo_labels']['rounds_done'] == 1


AUDIT = r"""
import json, os, runpy, sys
watched, record, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
seen = dict(source=[], target=0)
target = os.path.join(os.path.dirname(watched), 'target')

def hook(event, args):
    if event not in ('open', 'os.listdir', 'os.scandir', 'glob.glob') or not args:
        return
    path = args[0]
    if not isinstance(path, (str, bytes, os.PathLike)):
        return
    path = os.path.abspath(os.fsdecode(path))
    if path.startswith(watched):
        seen['source'].append(f'{event} {path}')
    elif path.startswith(target):
        seen['target'] += 1

sys.addaudithook(hook)
sys.argv = ['tools/train.py', *argv]
try:
    runpy.run_path('tools/train.py', run_name='__main__')
finally:
    with open(record, 'w') as f:
        json.dump(seen, f)
"""


@pytest.mark.parametrize('method', ['stpl', 'urma'])
def test_never_reads_source_data(method, tmp_path, repo_root, tiny_pair, source_checkpoint):
    """The source tree is deleted; every file opened and directory listed by the run (training,
    URMA's pseudo-label round, checkpoints) is recorded: none is under the source tree."""
    root = tmp_path / 'pair'
    shutil.copytree(tiny_pair, root)
    shutil.rmtree(root / 'source')
    cfg = _write_config(tmp_path / f'{method}.py', repo_root / f'configs/{method}/synthetic.py',
                        root, 2, f'sf_{method}_audit', extra=EXTRA.get(method, ''))
    record = tmp_path / 'record.json'
    proc = subprocess.run(
        [sys.executable, '-c', AUDIT, str(root / 'source'), str(record), cfg, '--work-dir',
         str(tmp_path / 'work'), '--cfg-options', f'load_from={source_checkpoint}'],
        cwd=repo_root, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
    seen = json.loads(record.read_text())
    assert seen['source'] == []
    assert seen['target'] > 0  # the hook does see the data the run reads
