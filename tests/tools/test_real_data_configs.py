"""Every real-data config (``configs/*/viper2cityscapes*.py``) end to end on tiny VIPER and
Cityscapes-VPS trees in the official layouts.

The trees are prepared with the commands of docs/data.md in order (verify -> convert -> index ->
compute_flow -> class_frequencies). Each config then builds its datasets, trains two iterations with
the tiny model and small frames swapped in through a shared override file (plus ``--cfg-options``
for list items) and is evaluated, by ``tools/train.py`` and ``tools/test.py`` called in-process
(their ``main``: the code path of the command line, without ~4 s of interpreter and import start-up
per run). Configs that start from another run's checkpoint (``load_from``) get one from a
1-iteration warm-up of that config, so the phase dependencies are exercised too. DAFormer's feature
distance reads a fake "ImageNet" file: the tiny backbone's initial weights.
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

from uda_toolbox.data_prep import cityscapes_vps as vps_prep
from uda_toolbox.data_prep import viper as viper_prep
from uda_toolbox.registry import DATASETS, MODELS

REPO = Path(__file__).resolve().parents[2]
# Every method's training configs (configs/benchmarks/ holds benchmark matrices, not runs; the
# Cityscapes-Seq benchmarks' *_seq*.py configs: tests/tools/test_video_benchmark_configs.py).
CONFIGS = sorted(p for p in REPO.glob('configs/*/viper2cityscapes*.py')
                 if p.parent.name != 'benchmarks' and not p.stem.startswith('viper2cityscapes_seq'))
# Frames are resized to fit (W, H) = (128, 64) instead of the papers' sizes: large enough for the
# discriminators' five stride-2 convolutions, small enough for a step in a fraction of a second.
TINY_SCALE = (128, 64)
TINY_CROP = (64, 64)  # (H, W) of the crop configs, in place of 512 x 512
VPS_TRAIN_FRAMES = 2 * 30  # the tiny tree's train split: 2 clips of 30 frames

OVERRIDES = """
_base_ = [{config!r}]
model = dict(segmentor=dict({segmentor}){bank})
_loader = dict(num_workers=0, persistent_workers=False)
# No serialisation of the tiny item lists: mmengine's gc.collect() for it costs ~0.5 s per dataset
# in a test process that has built many runners.
train_dataloader = dict(batch_size=1, **_loader, dataset=dict({source}
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
    spec = importlib.util.spec_from_file_location(f'uda_tools_{name.replace("/", "_")}',
                                                  REPO / 'tools' / f'{name}.py')
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
    # DA-VSN / TPS's flow files (configs/_base_/datasets/viper2cityscapes_two_frame.py).
    original = load_tool('write_original_flow')
    assert original.main([str(viper / 'train' / 'img'), str(viper / 'flow_original'), '--naming',
                          'viper', '--preset', 'ultrafast', '--no-progress']) == 0
    assert original.main([str(seq), str(vps / 'flow_original'), '--naming', 'cityscapes',
                          '--pairs', '2', '--preset', 'ultrafast', '--no-progress']) == 0
    # Rare-class sampling's statistics of the VIPER source set, written where the DAFormer
    # configs read them relative to the tree (class_frequencies.py <config> --out <file>).
    class_stats = viper / 'class_stats.json'
    rcs_config = root / 'class_frequencies.py'
    rcs_config.write_text(f"_base_ = [{str(REPO / 'configs/daformer/viper2cityscapes.py')!r}]\n"
                          f"train_dataloader = dict(dataset=dict(source=dict("
                          f"data_root={str(viper)!r})))\n")
    assert load_tool('class_frequencies').main([str(rcs_config), '--out', str(class_stats)]) == 0
    imagenet = root / 'tiny_imagenet.pth'
    tiny = Config.fromfile(str(REPO / 'configs/_base_/models/tiny_deeplabv2.py'))
    torch.save(MODELS.build(tiny.segmentor.backbone.to_dict()).state_dict(), imagenet)
    return SimpleNamespace(root=root, viper=str(viper), vps=str(vps), seq=str(seq),
                           class_stats=str(class_stats), imagenet=str(imagenet))


def _shrink(pipeline):
    """The config's own pipeline with every resize scale set to TINY_SCALE (and random crops, of
    DACS / DAFormer, to TINY_CROP)."""
    steps = [dict(step) for step in pipeline]
    assert any('scale' in step for step in steps), pipeline  # a resize to replace
    for step in steps:
        if 'scale' in step:
            step['scale'] = TINY_SCALE
        if 'crop_size' in step:
            step['crop_size'] = TINY_CROP
    return steps


def long_tail_bank(base: Config, index_file: Path, scale=TINY_SCALE, **dataset) -> str:
    """Override of DA-STC's ``model.long_tail_bank`` (``', long_tail_bank=dict(...)'``; '' for the
    other configs): its frames from the tiny tree (``dataset`` keys) at the tiny size, and the
    index ``tools/data/class_frame_index.py`` writes (by :func:`write_long_tail_index`)."""
    bank = base.model.get('long_tail_bank')
    if not bank:
        return ''
    frames = dict(dataset, pipeline=_shrink_to(bank.dataset.pipeline, scale), serialize_data=False)
    return f', long_tail_bank=dict(index_file={str(index_file)!r}, dataset=dict(**{frames!r}))'


def write_long_tail_index(override: Path) -> None:
    """The class -> frame index of an override config's bank, with the tool, once."""
    bank = Config.fromfile(str(override)).model.get('long_tail_bank')
    if bank and not osp.isfile(bank.index_file):
        assert _load_script('data/class_frame_index').main([str(override)]) == 0


def _shrink_to(pipeline, scale):
    steps = [dict(step) for step in pipeline]
    for step in steps:
        if 'scale' in step:
            step['scale'] = scale
    return steps


def _tiny_segmentor(base: Config) -> str:
    """Override of ``model.segmentor``: the tiny model's backbone and head (and, for multi-level
    AdaptSegNet, an auxiliary head on the tiny backbone's earlier output), with the config's
    number of classes."""
    tiny = Config.fromfile(str(REPO / 'configs/_base_/models/tiny_deeplabv2.py')).segmentor.to_dict()
    two_frame = base.model.segmentor.type == 'TwoFrameSegmentor'  # DA-VSN, TPS: wraps one
    wrapped = base.model.segmentor.segmentor if two_frame else base.model.segmentor
    head = dict(tiny['decode_head'], num_classes=wrapped.decode_head.num_classes)
    parts = dict(backbone=tiny['backbone'], decode_head=head)
    if wrapped.get('auxiliary_head'):
        parts['auxiliary_head'] = dict(head, in_channels=48, in_index=0)
    text = ', '.join(f'{key}=dict(_delete_=True, **{value!r})' for key, value in parts.items())
    return f'segmentor=dict({text})' if two_frame else text


class Runs:
    """Writes a config's tiny override file and trains/tests it through tools/train.py and test.py."""

    def __init__(self, trees, configs=CONFIGS):
        self.trees = trees
        self.configs = configs  # where warm-up producers are looked for
        self.train_tool, self.test_tool = _load_script('train'), _load_script('test')
        self.warmups = {}

    def override(self, config: Path, iters: int, name: str):
        """(override config path, --cfg-options) for a run of ``config``."""
        base = Config.fromfile(str(config))
        loaders = base.train_dataloader.dataset
        # Source-free configs (docs/source_free.md) have no source dataset and may not get one.
        source = '' if loaders.source is None else (
            f'\n    source=dict(data_root={self.trees.viper!r}, '
            f'pipeline={_shrink(loaders.source.pipeline)!r}, serialize_data=False),')
        text = OVERRIDES.format(
            config=str(config), segmentor=_tiny_segmentor(base), source=source,
            bank=long_tail_bank(base, self.trees.root / f'class_frame_index_{name}.json',
                                data_root=self.trees.viper),
            vps=self.trees.vps, seq=self.trees.seq, target_pipeline=_shrink(loaders.target.pipeline),
            test_pipeline=_shrink(base.val_dataloader.dataset.pipeline), iters=iters, name=name)
        path = self.trees.root / 'configs' / f'{name}.py'
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        write_long_tail_index(path)
        options = []
        pseudo_labels = base.get('pseudo_labels')
        if pseudo_labels is not None:
            options.append(f'pseudo_labels.scale={TINY_SCALE}')
            if pseudo_labels.get('label_dataset'):
                options += [f'pseudo_labels.label_dataset.data_root={self.trees.vps}',
                            'pseudo_labels.label_dataset.serialize_data=False']
        if base.get('load_from'):
            options.append(f'load_from={self.warmup_checkpoint(base.load_from)}')
        if base.train_dataloader.dataset.get('rare_class_sampling'):
            # The tiny frames hold far fewer than DAFormer's 3000 pixels of a class.
            options += [f'train_dataloader.dataset.rare_class_sampling.class_stats='
                        f'{self.trees.class_stats}',
                        'train_dataloader.dataset.rare_class_sampling.min_pixels=10']
        if base.model.get('feature_distance'):
            options.append(f'model.feature_distance.checkpoint={self.trees.imagenet}')
        return path, options

    def train(self, config: Path, iters: int, name: str) -> Path:
        path, options = self.override(config, iters, name)
        work = self.trees.root / 'work' / name
        args = [str(path), '--work-dir', str(work)]
        self.train_tool.main(args + (['--cfg-options', *options] if options else []))
        return work

    def warmup_checkpoint(self, load_from: str) -> str:
        """A 1-iteration run of the config ``load_from`` names (the run it starts from)."""
        producer = [c for c in self.configs if c == REPO / load_from]
        assert len(producer) == 1, f'load_from={load_from!r} names no config of this benchmark'
        if load_from not in self.warmups:
            work = self.train(producer[0], 1, 'warmup_' + config_id(producer[0]).replace('/', '_'))
            self.warmups[load_from] = str(work / 'iter_1.pth')
        return self.warmups[load_from]


@pytest.fixture(scope='module')
def runs(trees):
    return Runs(trees)


def test_there_is_a_real_data_config_for_every_method():
    methods = {p.parent.name for p in CONFIGS}
    missing = {p.parent.name for p in REPO.glob('configs/*/synthetic.py')} - methods
    assert not missing, ('add configs/<method>/viper2cityscapes.py for these methods '
                         f'(docs/adding_an_adaptor.md): {sorted(missing)}')
    assert len(CONFIGS) >= 24


@pytest.mark.parametrize('config', CONFIGS, ids=config_id)
def test_config_builds_its_datasets(config, trees):
    cfg = Config.fromfile(str(config))
    dataset = cfg.train_dataloader.dataset
    if dataset.source is not None:
        dataset.source.data_root = trees.viper
    dataset.target.update(data_root=trees.vps, sequence_root=trees.seq)
    if dataset.get('rare_class_sampling'):  # DAFormer: the statistics of the tiny VIPER tree
        dataset.rare_class_sampling.update(class_stats=trees.class_stats, min_pixels=10)
    cfg.val_dataloader.dataset.data_root = trees.vps
    train = DATASETS.build(dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    if dataset.source is None:  # source-free: target clips only
        assert train.source is None and len(train) == len(train.target)
    else:
        assert train.source.clip_ids() == ['001', '003']  # day only (conditions.csv)
    oracle = config.parent.name == 'oracle'
    # UDA: every pair (t - 1, t) of the 2 train clips (TPS: (t - 2, t - 1, t)); oracle: pairs
    # ending on the 12 labelled frames.
    span = dataset.target.get('num_frames', 2) - 1
    assert len(train.target) == (12 if oracle else 2 * (30 - span))
    assert len(val) == 6
    labelled = [p is not None for i in range(len(train.target))
                for p in train.target.get_data_info(i)['seg_map_paths']]
    assert any(labelled) == oracle
    if dataset.target.get('flow_naming') == 'cityscapes':  # DA-VSN, TPS: write_original_flow.py
        first = train.target.get_data_info(0)
        assert first['flow_paths'][0] == osp.join(trees.vps, 'flow_original',
                                                  'lindau_000000_000101_000100_int16_x10.npy')
        assert all(osp.isfile(p) for p in first['flow_paths'])
        assert all(p is not None for i in range(len(val))
                   for p in val.get_data_info(i)['flow_paths'])
    elif dataset.target.get('flow_root'):  # VST: the flow compute_flow.py wrote for the flat layout
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
        files = list((labels / current).rglob('*.png'))
        soft = [f for f in files if f.name.endswith('_soft.png')]  # CRST's LR-ENT soft labels
        assert len(files) - len(soft) == VPS_TRAIN_FRAMES
        assert len(soft) == (VPS_TRAIN_FRAMES if base.pseudo_labels.policy.type ==
                             'LabelEntropyPolicy' else 0)

    out = work / 'test_metrics.json'
    metrics = runs.test_tool.main([str(trees.root / 'configs' / f'{name}.py'),
                                   str(work / 'iter_2.pth'), '--work-dir', str(work),
                                   '--out', str(out)])
    assert 0.0 <= metrics['mIoU'] <= 100.0
    recorded = json.loads(out.read_text())['metrics']
    for key in ('mIoU', 'VPQ', 'VPQ_k0', 'VPQ_k5', 'VPQ_k10', 'VPQ_k15', 'IoU.road', 'IoU.motorbike'):
        assert key in recorded, key
