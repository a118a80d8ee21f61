"""Every real-data config (``configs/*/viper2cityscapes*.py``) end to end on tiny VIPER and
Cityscapes-VPS trees in the official layouts.

The trees are prepared with the commands of docs/data.md in order (verify -> convert -> index ->
compute_flow). Each config then builds its datasets, trains two iterations with the tiny model and
small frames swapped in through a shared override file (plus ``--cfg-options`` for list items) and
is evaluated, by ``tools/train.py`` and ``tools/test.py`` called in-process (their ``main``: the
code path of the command line, without ~4 s of interpreter and import start-up per run). Configs
that start from another run's checkpoint (``load_from``) get one from a 1-iteration warm-up of
that config, so the phase dependencies are exercised too.
"""
import glob
import importlib.util
import json
import os.path as osp
import re
from pathlib import Path
from types import SimpleNamespace

import mmengine.config.config as mmengine_config
import pytest
import torch
from fake_benchmark_data import load_tool, make_viper_tree, make_vps_tree
from mmengine.config import Config

from uda_toolbox.apis import default_work_dir
from uda_toolbox.data_prep import cityscapes_vps as vps_prep
from uda_toolbox.data_prep import viper as viper_prep
from uda_toolbox.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]
# Every method's training configs (configs/benchmarks/ holds benchmark matrices, not runs).
CONFIGS = sorted(p for p in REPO.glob('configs/*/viper2cityscapes*.py') if p.parent.name != 'benchmarks')
# Frames are resized to fit (W, H) = (128, 64) instead of the papers' sizes: large enough for the
# discriminators' five stride-2 convolutions, small enough for a step in a fraction of a second.
TINY_SCALE = (128, 64)
VPS_TRAIN_FRAMES = 2 * 30  # the tiny tree's train split: 2 clips of 30 frames

OVERRIDES = """
_base_ = [{config!r}]
model = dict(segmentor=dict({segmentor}))
_loader = dict(num_workers=0, persistent_workers=False)
# No serialisation of the tiny item lists: mmengine's gc.collect() for it costs ~0.5 s per dataset
# in a test process that has built many runners.
train_dataloader = dict(batch_size=1, **_loader, dataset=dict(
    source=dict(data_root={viper!r}, pipeline={source_pipeline!r}, serialize_data=False),
    target=dict(data_root={vps!r}, sequence_root={seq!r}, pipeline={target_pipeline!r},
                serialize_data=False)))
val_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    data_root={vps!r}, pipeline={test_pipeline!r}, serialize_data=False))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={iters}, val_interval={iters})
default_hooks = dict(checkpoint=dict(interval={iters}), logger=dict(interval=1))
visualizer = dict(name={name!r})
"""


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(f'uda_tools_{name}', REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def config_id(path: Path) -> str:
    return f'{path.parent.name}/{path.stem}'


@pytest.fixture(scope='module', autouse=True)
def _fast_runs():
    """Two costs these tiny runs need not pay: the Runner pretty-prints every config five times
    through yapf (~1.2 s each), so print it unformatted (the same valid Python); and torch's
    threads, of which one is fastest for steps on 128x64 frames (two on two busy cores are much
    slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mmengine_config, 'FormatCode', lambda text, **kwargs: (text, False))
        yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def trees(tmp_path_factory):
    """Tiny trees prepared as docs/data.md says, in order: verify, convert, index, compute_flow."""
    root = tmp_path_factory.mktemp('real_data')
    viper = make_viper_tree(root / 'viper')
    vps, seq = make_vps_tree(root / 'cityscapes_vps', root / 'leftImg8bit_sequence' / 'val')
    assert viper_prep.verify(str(viper)).ok
    assert vps_prep.verify(str(vps), str(seq)).ok
    assert viper_prep.convert(str(viper)).ok
    assert vps_prep.convert(str(vps)).ok
    viper_prep.write_index(str(viper))
    vps_prep.write_index(str(vps))
    # The flat Cityscapes-VPS train split: annotated frames from img/, the others from Cityscapes
    # leftImg8bit_sequence/val; written where the VST configs' flow_root='train/flow' reads.
    assert load_tool('compute_flow').main([str(vps / 'train'), '--sequence-root', str(seq),
                                           '--preset', 'ultrafast', '--no-progress']) == 0
    return SimpleNamespace(root=root, viper=str(viper), vps=str(vps), seq=str(seq))


def _shrink(pipeline):
    """The config's own pipeline with every resize scale set to TINY_SCALE."""
    steps = [dict(step) for step in pipeline]
    assert any('scale' in step for step in steps), pipeline  # a resize to replace
    for step in steps:
        if 'scale' in step:
            step['scale'] = TINY_SCALE
    return steps


def _tiny_segmentor(base: Config) -> str:
    """Override of ``model.segmentor``: the tiny model's backbone and head (and, for multi-level
    AdaptSegNet, an auxiliary head on the tiny backbone's earlier output)."""
    tiny = Config.fromfile(str(REPO / 'configs/_base_/models/tiny_deeplabv2.py')).segmentor.to_dict()
    parts = dict(backbone=tiny['backbone'], decode_head=tiny['decode_head'])
    if base.model.segmentor.get('auxiliary_head'):
        parts['auxiliary_head'] = dict(tiny['decode_head'], in_channels=48, in_index=0)
    return ', '.join(f'{key}=dict(_delete_=True, **{value!r})' for key, value in parts.items())


class Runs:
    """Writes a config's tiny override file and trains/tests it through tools/train.py and test.py."""

    def __init__(self, trees):
        self.trees = trees
        self.train_tool, self.test_tool = _load_script('train'), _load_script('test')
        self.warmups = {}

    def override(self, config: Path, iters: int, name: str):
        """(override config path, --cfg-options) for a run of ``config``."""
        base = Config.fromfile(str(config))
        loaders = base.train_dataloader.dataset
        text = OVERRIDES.format(
            config=str(config), segmentor=_tiny_segmentor(base), viper=self.trees.viper,
            vps=self.trees.vps, seq=self.trees.seq, source_pipeline=_shrink(loaders.source.pipeline),
            target_pipeline=_shrink(loaders.target.pipeline),
            test_pipeline=_shrink(base.val_dataloader.dataset.pipeline), iters=iters, name=name)
        path = self.trees.root / 'configs' / f'{name}.py'
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        options = []
        pseudo_labels = base.get('pseudo_labels')
        if pseudo_labels is not None:
            options.append(f'pseudo_labels.scale={TINY_SCALE}')
            if pseudo_labels.get('label_dataset'):
                options += [f'pseudo_labels.label_dataset.data_root={self.trees.vps}',
                            'pseudo_labels.label_dataset.serialize_data=False']
        if base.get('load_from'):
            options.append(f'load_from={self.warmup_checkpoint(base.load_from)}')
        return path, options

    def train(self, config: Path, iters: int, name: str) -> Path:
        path, options = self.override(config, iters, name)
        work = self.trees.root / 'work' / name
        args = [str(path), '--work-dir', str(work)]
        self.train_tool.main(args + (['--cfg-options', *options] if options else []))
        return work

    def warmup_checkpoint(self, load_from: str) -> str:
        """A 1-iteration run of the config whose default work dir ``load_from`` points into."""
        producer = [c for c in CONFIGS
                    if default_work_dir(str(c)) == osp.dirname(load_from)]
        assert len(producer) == 1, f'no config writes {load_from!r}'
        if load_from not in self.warmups:
            work = self.train(producer[0], 1, 'warmup_' + config_id(producer[0]).replace('/', '_'))
            self.warmups[load_from] = str(work / 'iter_1.pth')
        return self.warmups[load_from]


@pytest.fixture(scope='module')
def runs(trees):
    return Runs(trees)


def test_there_is_a_real_data_config_for_every_method():
    methods = {p.parent.name for p in CONFIGS}
    assert methods == {p.parent.name for p in REPO.glob('configs/*/synthetic.py')}
    assert len(CONFIGS) >= 24


@pytest.mark.parametrize('config', CONFIGS, ids=config_id)
def test_config_builds_its_datasets(config, trees):
    cfg = Config.fromfile(str(config))
    dataset = cfg.train_dataloader.dataset
    dataset.source.data_root = trees.viper
    dataset.target.update(data_root=trees.vps, sequence_root=trees.seq)
    cfg.val_dataloader.dataset.data_root = trees.vps
    train = DATASETS.build(dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert train.source.clip_ids() == ['001', '003']  # day only (conditions.csv)
    oracle = config.parent.name == 'oracle'
    # UDA: every pair (t - 1, t) of the 2 train clips; oracle: pairs ending on the 12 labelled frames.
    assert len(train.target) == (12 if oracle else 2 * 29)
    assert len(val) == 6
    labelled = [p is not None for i in range(len(train.target))
                for p in train.target.get_data_info(i)['seg_map_paths']]
    assert any(labelled) == oracle
    if dataset.target.get('flow_root'):  # VST: the flow compute_flow.py wrote for the flat layout
        first = train.target.get_data_info(0)
        assert first['flow_paths'][0] == osp.join(trees.vps, 'train/flow/0001/0001_00001_bw.npy')
        assert osp.isfile(first['flow_paths'][0])


@pytest.mark.parametrize('config', CONFIGS, ids=config_id)
def test_config_trains_two_iterations_and_evaluates(config, runs, trees):
    name = config_id(config).replace('/', '_')
    work = runs.train(config, 2, name)
    log = '\n'.join(Path(p).read_text() for p in glob.glob(str(work / '*' / '*.log')))
    assert (work / 'iter_2.pth').is_file()
    assert 'Iter(train) [2/2]' in log and 'mIoU' in log and 'VPQ' in log
    base = Config.fromfile(str(config))
    if base.get('load_from'):  # started from the warm-up of the config that load_from names
        assert re.search(r'Load checkpoint from \S*warmup_\S*iter_1\.pth', log), log[-2000:]
    if base.get('pseudo_labels') is not None:
        # Self-training: round 0 labelled every frame of the tiny target train clips.
        labels = work / 'pseudo_labels'
        current = (labels / 'CURRENT').read_text().strip()
        assert len(list((labels / current).rglob('*.png'))) == VPS_TRAIN_FRAMES

    out = work / 'test_metrics.json'
    metrics = runs.test_tool.main([str(trees.root / 'configs' / f'{name}.py'),
                                   str(work / 'iter_2.pth'), '--work-dir', str(work),
                                   '--out', str(out)])
    assert 0.0 <= metrics['mIoU'] <= 100.0
    recorded = json.loads(out.read_text())['metrics']
    for key in ('mIoU', 'VPQ', 'VPQ_k0', 'VPQ_k5', 'VPQ_k10', 'VPQ_k15', 'IoU.road', 'IoU.motorbike'):
        assert key in recorded, key
