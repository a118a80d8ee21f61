"""The embedded pair's budget (issue 20): version 2 at a fifth of the first wave's training (0.4 of
its iterations, half its batch), and version 1's first-wave budget one set of options away
(`make demo GENERATOR=1`)."""
import re
from pathlib import Path

import pytest
from mmengine.config import Config

from uda_toolbox.apis import build_train_config

#: What `make demo GENERATOR=1` passes to every job (Makefile, DEMO_OPTIONS).
VERSION_1 = dict(data_root='data/synthetic', schedule_scale=2.5,
                 **{'train_dataloader.batch_size': 4})

# The first wave's embedded budget (README tables of the first wave): warm-ups 400 iterations of 4
# clip pairs, self-training 200 with rounds every 100, AdaBN 100 batches, DA-STC's teacher 40 steps.
FIRST_WAVE = {
    'configs/source_only/synthetic.py': (400, None),
    'configs/vat/synthetic.py': (400, None),
    'configs/da_vsn/synthetic.py': (400, None),
    'configs/tps/synthetic.py': (400, None),
    'configs/oracle/synthetic.py': (400, None),
    'configs/adabn/synthetic.py': (100, None),
    'configs/cbst/synthetic.py': (200, 100),
    'configs/iast/synthetic.py': (200, 100),
    'configs/vst/synthetic.py': (200, 100),
    'configs/da_stc/synthetic.py': (200, None),
}


def _build(repo_root, config, tmp_path, options=None):
    return build_train_config(str(repo_root / config), str(tmp_path / 'w'), cfg_options=options)


@pytest.mark.parametrize('config', sorted(FIRST_WAVE))
def test_version_1_options_give_the_first_wave_budget_and_version_2_a_fifth(
        repo_root, tmp_path, config):
    length, interval = FIRST_WAVE[config]
    v1 = _build(repo_root, config, tmp_path, dict(VERSION_1))
    assert v1.train_cfg.max_iters == length
    assert v1.train_dataloader.batch_size == 4
    assert v1.train_dataloader.dataset.target.data_root == 'data/synthetic'
    if interval is not None:
        assert v1.pseudo_labels.interval == interval
    v2 = _build(repo_root, config, tmp_path)
    assert v2.train_cfg.max_iters == length * 2 // 5 and v2.train_dataloader.batch_size == 2
    assert v2.train_dataloader.dataset.target.data_root == 'data/synthetic_v2'
    if interval is not None:
        assert v2.pseudo_labels.interval == interval * 2 // 5
    for schedulers in _poly_ends(v1):
        assert schedulers == length
    if config == 'configs/da_stc/synthetic.py':
        assert (v1.model.teacher_iters, v2.model.teacher_iters) == (40, 16)


def _poly_ends(cfg):
    groups = cfg.param_scheduler
    groups = groups.values() if isinstance(groups, dict) else [groups]
    return [s['end'] for group in groups for s in group if s['type'] == 'PolyLR']


def test_daformer_warm_up_is_the_one_count_version_1_does_not_give_back_exactly(repo_root, tmp_path):
    v1 = _build(repo_root, 'configs/daformer/synthetic.py', tmp_path, dict(VERSION_1))
    warmup = [s for s in v1.param_scheduler['segmentor'] if s['type'] == 'LinearLR'][0]
    # 6 warm-up iterations of 160 (LinearLR end 7) scale to 18, the first wave's 15 + 1 was 16
    # (docs/benchmarks.md, "The embedded benchmark"); every other count above is exact.
    assert warmup['end'] == 18
    assert v1.train_dataloader.dataset.rare_class_sampling.class_stats == \
        '{data_root}/source/train/class_stats.json'  # resolved against data/synthetic


def test_the_makefile_passes_the_version_1_options(repo_root):
    text = Path(repo_root / 'Makefile').read_text()
    block = text[text.index('ifeq ($(GENERATOR),1)'):text.index('else')]
    options = dict(re.findall(r'(\S+)=(\S+)', block.split('--cfg-options', 1)[1]))
    assert options == {'data_root': '$(DATA)', 'schedule_scale': '2.5',
                       'train_dataloader.batch_size': '4'}
    assert 'DATA ?= data/synthetic\n' in block
    spec = Config.fromfile(str(repo_root / 'configs/benchmarks/synthetic_table1.py'))
    assert list(spec.seeds) == [0, 1, 2]  # `make demo`: 3 seeds of every row


def test_the_generator_writes_version_2_where_the_configs_read_it(repo_root, tmp_path):
    from fake_benchmark_data import load_tool
    tool = load_tool('generate_synthetic')
    default = tool.parse_args([])
    assert (default.generator_version, default.out) == (2, 'data/synthetic_v2')
    cfg = _build(repo_root, 'configs/source_only/synthetic.py', tmp_path)
    assert cfg.train_dataloader.dataset.source.data_root == default.out
    assert tool.parse_args(['--generator-version', '1']).out == 'data/synthetic'
    assert tool.parse_args(['--out', 'x']).out == 'x'


def _values(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, str):
                yield v
            yield from _values(v, key)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _values(v, key)


@pytest.mark.parametrize('config', sorted(
    str(p.relative_to(Path(__file__).resolve().parents[2]))
    for p in (Path(__file__).resolve().parents[2] / 'configs').glob('*/synthetic*.py')
    if p.parent.name not in ('benchmarks', '_base_')))
def test_every_embedded_config_reads_the_default_pair_and_follows_an_override(
        repo_root, tmp_path, config):
    """Every dataset of every embedded config (DA-STC's long-tail bank included) reads version 2's
    directory by default and the override's with data_root=DIR, as `make demo GENERATOR=1` needs."""
    def roots(cfg):  # the keys a run reads (not the top-level helper variables of the files)
        keys = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'pseudo_labels', 'model',
                'custom_hooks')
        return set(_values({k: cfg.get(k) for k in keys}, 'data_root'))

    assert roots(_build(repo_root, config, tmp_path)) == {'data/synthetic_v2'}
    moved = _build(repo_root, config, tmp_path, dict(data_root='data/synthetic'))
    assert roots(moved) == {'data/synthetic'}
