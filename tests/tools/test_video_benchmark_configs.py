"""Every config of the two Cityscapes-Seq benchmarks (``configs/*/{viper,synthia}2cityscapes_seq.py``)
end to end on tiny trees in the official layouts, as tests/tools/test_real_data_configs.py does for
VIPER -> Cityscapes-VPS.

The trees are prepared with the commands of docs/data.md (verify -> convert -> compute_flow). Each
config builds its datasets, trains two iterations with the tiny model and small frames swapped in
through an override file (plus ``--cfg-options`` for the pseudo-label settings) and is evaluated,
through ``tools/train.py`` and ``tools/test.py`` called in-process. Configs that start from another
run's checkpoint (``load_from``) get one from a 1-iteration warm-up of that config. Source-free
configs (no source dataset) get no source override; DAFormer's rare-class sampling reads statistics
of the tiny source trees and its feature distance a fake "ImageNet" file, as in
test_real_data_configs.py.
"""
import glob
import json
import os.path as osp
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from fake_benchmark_data import load_tool
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
from test_real_data_configs import (  # noqa: F401 (_fast_runs: autouse fixture)
    _fast_runs,
    config_id,
    long_tail_bank,
    write_long_tail_index,
)
from test_real_data_configs import _tiny_segmentor as tiny_segmentor_of_wrapper

from uda_toolbox.data_prep import cityscapes_seq, synthia_seq, viper_seq
from uda_toolbox.registry import DATASETS, MODELS

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = ('viper2cityscapes_seq', 'synthia2cityscapes_seq')
# Each method's config of a benchmark and its variants (configs/source_only/*_seq_daformer.py).
CONFIGS = sorted(p for b in BENCHMARKS for p in REPO.glob(f'configs/*/{b}*.py')
                 if p.parent.name != 'benchmarks')
# Frames resized to (W, H) = (128, 64), as in test_real_data_configs.py; SYNTHIA-Seq frames keep
# their tiny native size (128 x 184) and lose their bottom 120 rows as the configs say.
TINY_SCALE = (128, 64)
TINY_CROP = (64, 64)  # (H, W) of the crop configs (DACS, DAFormer, MIC), in place of 512 x 512
SYNTHIA_SCALE = (SYNTHIA_SIZE[1], SYNTHIA_SIZE[0])
SNIPPET_FRAMES = 3 * 2  # the tiny Cityscapes-Seq train list: 3 snippets (t - 1, t)

OVERRIDES = """
_base_ = [{config!r}]
model = dict(segmentor=dict({segmentor}){bank})
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=1, **_loader, dataset=dict({source}
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
    # flow_root='flow/train' of the target (VST; the two-frame methods also t-1 -> t-2), the
    # two-frame methods' val flow and source flow (cityscapes_seq_two_frame_parts.py)
    fast = dict(type='OpenCVDISFlow', preset='ultrafast')
    cityscapes_seq.compute_flow(str(cs), 'train', split_list=str(lists['train']),
                                frame_offsets=(-2, -1, 0), estimator=fast)
    cityscapes_seq.compute_flow(str(cs), 'val', split_list=str(lists['val']), estimator=fast)
    viper_seq.compute_flow(str(viper), split_list=viper_list, estimator=fast)
    synthia_seq.compute_flow(str(synthia), split_list=synthia_list, estimator=fast)
    # Rare-class sampling's statistics of each tiny source set (class_frequencies.py <config>
    # --out <file>, as docs/data.md says), for the DAFormer / MIC configs.
    class_stats = {}
    for benchmark, (data_root, split_list) in (('viper', (viper, viper_list)),
                                               ('synthia', (synthia, synthia_list))):
        config = root / f'class_frequencies_{benchmark}.py'
        config.write_text(
            f"_base_ = [{str(REPO / f'configs/daformer/{benchmark}2cityscapes_seq.py')!r}]\n"
            f"train_dataloader = dict(dataset=dict(source=dict(data_root={str(data_root)!r}, "
            f"split_list={split_list!r}, serialize_data=False)))\n")
        class_stats[benchmark] = str(root / f'class_stats_{benchmark}.json')
        assert load_tool('class_frequencies').main([str(config), '--out', class_stats[benchmark]]) == 0
    imagenet = root / 'tiny_imagenet.pth'  # DAFormer's feature distance: a fake "ImageNet" file
    tiny = Config.fromfile(str(REPO / 'configs/_base_/models/tiny_deeplabv2.py'))
    torch.save(MODELS.build(tiny.segmentor.backbone.to_dict()).state_dict(), imagenet)
    return SimpleNamespace(root=root, cs=str(cs), train_list=str(lists['train']),
                           val_list=str(lists['val']), viper=str(viper), viper_list=viper_list,
                           synthia=str(synthia), synthia_list=synthia_list,
                           class_stats=class_stats, imagenet=str(imagenet))


def _source(trees, benchmark: str):
    return ((trees.viper, trees.viper_list) if benchmark.startswith('viper')
            else (trees.synthia, trees.synthia_list))


def _shrink(pipeline, scale=TINY_SCALE):
    """The config's own pipeline with every resize scale set to ``scale`` (and random crops, of
    DACS / DAFormer / MIC, to TINY_CROP)."""
    steps = [dict(step) for step in pipeline]
    assert any('scale' in step for step in steps), pipeline
    for step in steps:
        if 'scale' in step:
            step['scale'] = scale
        if 'crop_size' in step:
            step['crop_size'] = TINY_CROP
    return steps


def _tiny_segmentor(base: Config) -> str:
    """Override of ``model.segmentor``: the tiny model with the config's number of classes (the
    two-frame segmentor of DA-VSN / TPS / DA-STC: test_real_data_configs.py's override)."""
    if base.model.segmentor.type == 'TwoFrameSegmentor':
        return tiny_segmentor_of_wrapper(base)
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
        # Source-free configs (docs/source_free.md) have no source dataset and may not get one.
        source = '' if loaders.source is None else (
            f'\n    source=dict(data_root={source_root!r}, split_list={source_list!r}, '
            f'pipeline={_shrink(loaders.source.pipeline, source_scale)!r}, serialize_data=False),')
        text = OVERRIDES.format(
            config=str(config), segmentor=_tiny_segmentor(base), source=source, cs=self.trees.cs,
            train_list=self.trees.train_list, val_list=self.trees.val_list,
            bank=long_tail_bank(base, self.trees.root / f'class_frame_index_{name}.json',
                                source_scale, data_root=source_root, split_list=source_list),
            target_pipeline=_shrink(loaders.target.pipeline),
            test_pipeline=_shrink(base.val_dataloader.dataset.pipeline), iters=iters, name=name)
        path = self.trees.root / 'configs' / f'{name}.py'
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        write_long_tail_index(path)
        options = []
        pseudo_labels = base.get('pseudo_labels')
        if pseudo_labels is not None:
            options.append(f'pseudo_labels.scale={TINY_SCALE}')
            if pseudo_labels.get('label_dataset'):  # P-mIoU (not URMA's)
                options += [f'pseudo_labels.label_dataset.data_root={self.trees.cs}',
                            f'pseudo_labels.label_dataset.split_list={self.trees.train_list}',
                            'pseudo_labels.label_dataset.serialize_data=False']
        if base.get('load_from'):
            options.append(f'load_from={self.warmup_checkpoint(base.load_from)}')
        if loaders.get('rare_class_sampling'):
            # The tiny frames hold far fewer than DAFormer's 3000 pixels of a class.
            stats = self.trees.class_stats[config.stem.split('2')[0]]
            options += [f'train_dataloader.dataset.rare_class_sampling.class_stats={stats}',
                        'train_dataloader.dataset.rare_class_sampling.min_pixels=10']
        if base.model.get('feature_distance'):
            options.append(f'model.feature_distance.checkpoint={self.trees.imagenet}')
        return path, options


@pytest.fixture(scope='module')
def runs(trees):
    return Runs(trees)


def test_every_method_has_both_benchmark_configs():
    methods = {p.parent.name for p in REPO.glob('configs/*/viper2cityscapes.py')}
    for benchmark in BENCHMARKS:
        have = {p.parent.name for p in CONFIGS if p.stem == benchmark}
        assert methods <= have, (f'add configs/<method>/{benchmark}.py for {sorted(methods - have)} '
                                 '(docs/adding_an_adaptor.md, section 3)')
    assert len(CONFIGS) >= 26


@pytest.mark.parametrize('config', CONFIGS, ids=config_id)
def test_config_builds_its_datasets(config, trees):
    cfg = Config.fromfile(str(config))
    dataset = cfg.train_dataloader.dataset
    # serialize_data=False: mmengine's gc.collect() for it costs ~0.5 s per dataset
    root, split_list = _source(trees, config.stem)
    if dataset.source is not None:
        dataset.source.update(data_root=root, split_list=split_list, serialize_data=False)
    dataset.target.update(data_root=trees.cs, split_list=trees.train_list, serialize_data=False)
    if dataset.get('rare_class_sampling'):  # DAFormer: the statistics of the tiny source tree
        dataset.rare_class_sampling.update(
            class_stats=trees.class_stats[config.stem.split('2')[0]], min_pixels=10)
    cfg.val_dataloader.dataset.update(data_root=trees.cs, split_list=trees.val_list,
                                      serialize_data=False)
    train = DATASETS.build(dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert (len(train.target), len(val)) == (3, 2)
    if dataset.source is None:  # source-free: target snippets only
        assert train.source is None and len(train) == len(train.target)
    else:
        assert len(train.source) == 3
        source = train.source.get_data_info(0)
        assert source['frame_ids'][1] - source['frame_ids'][0] == 1 and source['seg_map_paths'][1]
    oracle = config.parent.name == 'oracle'
    labelled = [p is not None for i in range(3) for p in train.target.get_data_info(i)['seg_map_paths']]
    assert any(labelled) == oracle
    classes = 15 if config.stem.startswith('viper') else 12
    assert len(val.metainfo['classes']) == classes == len(train.metainfo['classes'])
    if dataset.target.get('flow_root'):  # VST, STPL, two-frame methods: the flow compute_flow wrote
        first = train.target.get_data_info(0)  # flow_paths[-1]: from t to t-1
        assert first['flow_paths'][-1] == osp.join(
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
