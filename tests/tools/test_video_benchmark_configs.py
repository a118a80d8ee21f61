"""Every config of the two Cityscapes-Seq benchmarks (``configs/*/{viper,synthia}2cityscapes_seq.py``)
end to end on tiny trees in the official layouts, as tests/tools/test_real_data_configs.py does for
VIPER -> Cityscapes-VPS.

The trees are prepared with the commands of docs/data.md (verify -> convert -> compute_flow). Each
config builds its datasets, trains two iterations with the tiny model and small frames swapped in
through an override file (plus ``--cfg-options`` for the pseudo-label settings) and is evaluated,
through ``tools/train.py`` and ``tools/test.py`` called in-process. Configs that start from another
run's checkpoint (``load_from``) get one from a 1-iteration warm-up of that config.
"""
import glob
import json
import os.path as osp
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from fake_video_benchmark_data import (
    CS_SIZE,
    SYNTHIA_SIZE,
    VIPER_SIZE,
    make_cityscapes_seq_tree,
    make_synthia_seq_tree,
    make_viper_seq_tree,
)
from mmengine.config import Config
from test_real_data_configs import Runs as RealDataRuns  # train.py / test.py in-process, warm-ups
from test_real_data_configs import _fast_runs, config_id  # noqa: F401 (_fast_runs: autouse fixture)

from uda_toolbox.data_prep import cityscapes_seq, synthia_seq, viper_seq
from uda_toolbox.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = ('viper2cityscapes_seq', 'synthia2cityscapes_seq')
CONFIGS = sorted(p for b in BENCHMARKS for p in REPO.glob(f'configs/*/{b}.py')
                 if p.parent.name != 'benchmarks')
# Frames resized to (W, H) = (128, 64), as in test_real_data_configs.py; SYNTHIA-Seq frames keep
# their tiny native size (128 x 184) and lose their bottom 120 rows as the configs say.
TINY_SCALE = (128, 64)
SYNTHIA_SCALE = (SYNTHIA_SIZE[1], SYNTHIA_SIZE[0])
SNIPPET_FRAMES = 3 * 2  # the tiny Cityscapes-Seq train list: 3 snippets (t - 1, t)

OVERRIDES = """
_base_ = [{config!r}]
model = dict(segmentor=dict({segmentor}))
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=1, **_loader, dataset=dict(
    source=dict(data_root={source_root!r}, split_list={source_list!r}, pipeline={source_pipeline!r},
                serialize_data=False),
    target=dict(data_root={cs!r}, split_list={train_list!r}, pipeline={target_pipeline!r},
                serialize_data=False)))
val_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    data_root={cs!r}, split_list={val_list!r}, pipeline={test_pipeline!r}, serialize_data=False))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={iters}, val_interval={iters})
default_hooks = dict(checkpoint=dict(interval={iters}), logger=dict(interval=1))
visualizer = dict(name={name!r})
"""


@pytest.fixture(scope='module')
def trees(tmp_path_factory):
    """Tiny trees prepared as docs/data.md says: verify, convert, compute_flow."""
    root = tmp_path_factory.mktemp('video_benchmarks')
    cs = root / 'cityscapes'
    lists = make_cityscapes_seq_tree(cs)
    viper = root / 'viper'
    viper_list = str(make_viper_seq_tree(viper))
    synthia = root / 'SEQS-04-DAWN'
    synthia_list = str(make_synthia_seq_tree(synthia))
    assert cityscapes_seq.verify(str(cs), split_lists={k: str(v) for k, v in lists.items()},
                                 expected_size=CS_SIZE).ok
    assert viper_seq.verify(str(viper), split_list=viper_list, expected_size=VIPER_SIZE).ok
    assert synthia_seq.verify(str(synthia), split_list=synthia_list, expected_size=SYNTHIA_SIZE).ok
    assert viper_seq.convert(str(viper), split_list=viper_list).ok
    assert synthia_seq.convert(str(synthia), split_list=synthia_list).ok
    # the VST configs' flow_root='flow/train' of the target
    cityscapes_seq.compute_flow(str(cs), 'train', split_list=str(lists['train']),
                                estimator=dict(type='OpenCVDISFlow', preset='ultrafast'))
    return SimpleNamespace(root=root, cs=str(cs), train_list=str(lists['train']),
                           val_list=str(lists['val']), viper=str(viper), viper_list=viper_list,
                           synthia=str(synthia), synthia_list=synthia_list)


def _source(trees, benchmark: str):
    return ((trees.viper, trees.viper_list) if benchmark.startswith('viper')
            else (trees.synthia, trees.synthia_list))


def _shrink(pipeline, scale=TINY_SCALE):
    """The config's own pipeline with every resize scale set to ``scale``."""
    steps = [dict(step) for step in pipeline]
    assert any('scale' in step for step in steps), pipeline
    for step in steps:
        if 'scale' in step:
            step['scale'] = scale
    return steps


def _tiny_segmentor(base: Config) -> str:
    """Override of ``model.segmentor``: the tiny model with the config's number of classes."""
    tiny = Config.fromfile(str(REPO / 'configs/_base_/models/tiny_deeplabv2.py')).segmentor.to_dict()
    head = dict(tiny['decode_head'], num_classes=base.model.segmentor.decode_head.num_classes)
    return (f'backbone=dict(_delete_=True, **{tiny["backbone"]!r}), '
            f'decode_head=dict(_delete_=True, **{head!r})')


class Runs(RealDataRuns):
    """test_real_data_configs.py's runner with this benchmark's override file."""

    def __init__(self, trees):
        super().__init__(trees, CONFIGS)

    def override(self, config: Path, iters: int, name: str):
        base = Config.fromfile(str(config))
        loaders = base.train_dataloader.dataset
        source_root, source_list = _source(self.trees, config.stem)
        source_scale = TINY_SCALE if config.stem.startswith('viper') else SYNTHIA_SCALE
        text = OVERRIDES.format(
            config=str(config), segmentor=_tiny_segmentor(base), source_root=source_root,
            source_list=source_list, source_pipeline=_shrink(loaders.source.pipeline, source_scale),
            cs=self.trees.cs, train_list=self.trees.train_list, val_list=self.trees.val_list,
            target_pipeline=_shrink(loaders.target.pipeline),
            test_pipeline=_shrink(base.val_dataloader.dataset.pipeline), iters=iters, name=name)
        path = self.trees.root / 'configs' / f'{name}.py'
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        options = []
        if base.get('pseudo_labels') is not None:
            options += [f'pseudo_labels.scale={TINY_SCALE}',
                        f'pseudo_labels.label_dataset.data_root={self.trees.cs}',
                        f'pseudo_labels.label_dataset.split_list={self.trees.train_list}',
                        'pseudo_labels.label_dataset.serialize_data=False']
        if base.get('load_from'):
            options.append(f'load_from={self.warmup_checkpoint(base.load_from)}')
        return path, options


@pytest.fixture(scope='module')
def runs(trees):
    return Runs(trees)


def test_every_method_has_both_benchmark_configs():
    methods = {p.parent.name for p in REPO.glob('configs/*/viper2cityscapes.py')}
    for benchmark in BENCHMARKS:
        have = {p.parent.name for p in CONFIGS if p.stem == benchmark}
        assert methods <= have, (benchmark, sorted(methods - have))
    assert len(CONFIGS) >= 26


@pytest.mark.parametrize('config', CONFIGS, ids=config_id)
def test_config_builds_its_datasets(config, trees):
    cfg = Config.fromfile(str(config))
    dataset = cfg.train_dataloader.dataset
    # serialize_data=False: mmengine's gc.collect() for it costs ~0.5 s per dataset
    root, split_list = _source(trees, config.stem)
    dataset.source.update(data_root=root, split_list=split_list, serialize_data=False)
    dataset.target.update(data_root=trees.cs, split_list=trees.train_list, serialize_data=False)
    cfg.val_dataloader.dataset.update(data_root=trees.cs, split_list=trees.val_list,
                                      serialize_data=False)
    train = DATASETS.build(dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert (len(train.source), len(train.target), len(val)) == (3, 3, 2)
    source = train.source.get_data_info(0)
    assert source['frame_ids'][1] - source['frame_ids'][0] == 1 and source['seg_map_paths'][1]
    oracle = config.parent.name == 'oracle'
    labelled = [p is not None for i in range(3) for p in train.target.get_data_info(i)['seg_map_paths']]
    assert any(labelled) == oracle
    classes = 15 if config.stem.startswith('viper') else 12
    assert len(val.metainfo['classes']) == classes == len(train.metainfo['classes'])
    if dataset.target.get('flow_root'):  # VST: the flow compute_flow wrote
        first = train.target.get_data_info(0)
        assert first['flow_paths'][0] == osp.join(
            trees.cs, 'flow/train/aachen/aachen_000000_000019_leftImg8bit_bw.npy')


@pytest.mark.parametrize('config', CONFIGS, ids=config_id)
def test_config_trains_two_iterations_and_evaluates(config, runs, trees):
    name = config_id(config).replace('/', '_')
    work = runs.train(config, 2, name)
    log = '\n'.join(Path(p).read_text() for p in glob.glob(str(work / '*' / '*.log')))
    assert (work / 'iter_2.pth').is_file()
    assert 'Iter(train) [2/2]' in log and 'mIoU' in log and 'VPQ^s not computed' in log
    base = Config.fromfile(str(config))
    if base.get('load_from'):
        assert re.search(r'Load checkpoint from \S*warmup_\S*iter_1\.pth', log), log[-2000:]
    if base.get('pseudo_labels') is not None:
        labels = work / 'pseudo_labels'
        current = (labels / 'CURRENT').read_text().strip()
        assert len(list((labels / current).rglob('*.png'))) == SNIPPET_FRAMES

    out = work / 'test_metrics.json'
    metrics = runs.test_tool.main([str(trees.root / 'configs' / f'{name}.py'),
                                   str(work / 'iter_2.pth'), '--work-dir', str(work),
                                   '--out', str(out)])
    assert 0.0 <= metrics['mIoU'] <= 100.0
    recorded = json.loads(out.read_text())['metrics']
    assert not [k for k in recorded if k.startswith('VPQ')]  # not defined: absent, never 0
    reported = [k for k in recorded if k.startswith('IoU.')]
    if config.stem.startswith('viper'):
        assert len(reported) == 15 and 'IoU.bicycle' in recorded
    else:  # SYNTHIA-Seq: 12 classes evaluated, fence left out of the report
        assert len(reported) == 11 and 'IoU.fence' not in recorded and 'IoU.rider' in recorded
