"""Everything a config needs before it can run, checked at once (``tools/check_ready.py CONFIG``).

A run stops at its first missing prerequisite, and on real data the next one shows only after a
restart; this lists them all, each with its fix: every dataset of the config (data roots, split
lists, VIPER's conditions file, label files: whatever building the dataset checks, with the
dataset's own message), the optical flow its pipeline or its pseudo-label rounds read, the
backbone's ImageNet weights, and the checkpoint ``load_from`` names (a dependency's run).
"""
import copy
from dataclasses import dataclass
from typing import Any, Iterator, List, Optional, Tuple, Union

from mmengine.config import Config
from mmengine.registry import init_default_scope

from uda_toolbox.adaptors.base import check_pretrained_backbone
from uda_toolbox.apis.config import (
    default_work_dir,
    load_config,
    merge_options,
    resolve_load_from,
    substitute_work_dir,
)
from uda_toolbox.apis.errors import worker_message
from uda_toolbox.registry import DATASETS
from uda_toolbox.utils.checkpoint import CheckpointError, check_checkpoint_file
from uda_toolbox.utils.errors import DataError

FLOW_FIX = ('compute it with tools/data/compute_flow.py for that dataset (docs/data.md, "Optical '
            'flow"), or point the dataset\'s flow directory at where it is')


@dataclass
class Gap:
    """One missing prerequisite: where the config needs it and what to do (``problem`` names the
    file and the fix)."""

    what: str
    problem: str

    def __str__(self) -> str:
        return f'{self.what}: {self.problem}'


def dataset_configs(cfg: Config) -> List[Tuple[str, dict]]:
    """``(config key, dataset config)`` of every dataset a run builds; equal ones once."""
    found: List[Tuple[str, dict]] = []
    train = (cfg.get('train_dataloader') or {}).get('dataset')
    if train is not None and train.get('type') == 'UDADataset':
        found += [('train_dataloader.dataset.source', train.source),
                  ('train_dataloader.dataset.target', train.target)]
    elif train is not None:
        found.append(('train_dataloader.dataset', train))
    for key in ('val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(key) or {}).get('dataset')
        if dataset is not None:
            found.append((f'{key}.dataset', dataset))
    for key in ('dataset', 'label_dataset'):
        dataset = (cfg.get('pseudo_labels') or {}).get(key)
        if dataset is not None:
            found.append((f'pseudo_labels.{key}', dataset))
    unique: List[Tuple[str, dict]] = []
    for key, dataset in found:
        if all(dataset != other for _, other in unique):
            unique.append((key, dataset))
    return unique


def _flow_keys(dataset_cfg: dict, rounds_read_flow: bool) -> List[str]:
    """The flow lists (``flow_paths``, ``flow_fw_paths``) the run reads from this dataset."""
    keys = set()
    for step in dataset_cfg.get('pipeline') or []:
        if isinstance(step, dict) and step.get('type') in ('LoadClipFlow', 'LoadResizedClipFlow'):
            keys.add('flow_paths')
            if step.get('with_forward'):
                keys.add('flow_fw_paths')
    if rounds_read_flow:
        keys.add('flow_paths')
    return sorted(keys)


def _missing_flows(dataset: Any, keys: List[str]) -> Iterator[Tuple[str, int, str]]:
    """``(key, number of frames without that flow file, one such frame)`` per flow list."""
    for key in keys:
        missing = {}
        for idx in range(len(dataset)):
            info = dataset.get_data_info(idx)
            frames = info['img_paths'][1:] if key == 'flow_paths' else info['img_paths'][:-1]
            for frame, path in zip(frames, info.get(key) or [None] * len(frames)):
                if path is None:
                    missing[frame] = True
        if missing:
            yield key, len(missing), sorted(missing)[0]


def _rounds_read_flow(cfg: Config) -> bool:
    """Whether the pseudo-label rounds read the target's flow files (VST's Eq. 10 with files)."""
    pseudo_labels = cfg.get('pseudo_labels') or {}
    return pseudo_labels.get('aggregate') is not None and pseudo_labels.get('flow') == 'files'


def _check_datasets(cfg: Config) -> List[Gap]:
    gaps = []
    for key, dataset_cfg in dataset_configs(cfg):
        rounds_flow = key == 'train_dataloader.dataset.target' and _rounds_read_flow(cfg)
        built_cfg = copy.deepcopy(dataset_cfg)
        if isinstance(built_cfg, dict):
            built_cfg['serialize_data'] = False
        try:
            dataset = DATASETS.build(built_cfg)
        except DataError as exc:
            gaps.append(Gap(f'{key} ({dataset_cfg.get("type")})', worker_message(exc)))
            continue
        for flow_key, count, frame in _missing_flows(dataset, _flow_keys(dataset_cfg, rounds_flow)):
            direction = 'backward (_bw)' if flow_key == 'flow_paths' else 'forward (_fw)'
            gaps.append(Gap(f'{key} ({dataset_cfg.get("type")})',
                            f'{count} frame(s) have no {direction} optical flow file, e.g. the '
                            f'frame {frame!r}; {FLOW_FIX}.'))
    return gaps


def _check_weights(cfg: Config) -> List[Gap]:
    gaps = []
    segmentor = (cfg.get('model') or {}).get('segmentor')
    if segmentor is not None:
        try:
            check_pretrained_backbone(segmentor)
        except CheckpointError as exc:
            gaps.append(Gap('model.segmentor.backbone.init_cfg', str(exc)))
    load_from = cfg.get('load_from')
    if load_from:
        try:
            path = resolve_load_from(load_from)
            if '://' not in path:
                check_checkpoint_file(path, key='load_from')
        except CheckpointError as exc:
            gaps.append(Gap('load_from', str(exc)))
    return gaps


def check_ready(config: Union[str, Config], cfg_options: Optional[dict] = None,
                stage: str = 'train') -> List[Gap]:
    """Every missing prerequisite of ``config`` (an empty list: ready).

    Args:
        config: A config file or Config.
        cfg_options: Overrides, as ``--cfg-options`` (e.g. the data roots).
        stage: ``'train'`` (all of it) or ``'test'`` (the test dataset only: the checkpoint
            tested holds every weight).
    """
    if stage not in ('train', 'test'):
        raise ValueError(f"stage must be 'train' or 'test', got {stage!r}")
    from uda_toolbox import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = load_config(config) if isinstance(config, str) else copy.deepcopy(config)
    merge_options(cfg, cfg_options)
    substitute_work_dir(cfg._cfg_dict, cfg.get('work_dir') or default_work_dir(cfg.filename))
    init_default_scope(cfg.get('default_scope', 'uda_toolbox'))
    if stage == 'test':
        dataset = (cfg.get('test_dataloader') or {}).get('dataset')
        cfg = Config(dict(test_dataloader=dict(dataset=dataset))) if dataset else Config()
        return _check_datasets(cfg)
    return _check_datasets(cfg) + _check_weights(cfg)


def readiness_report(config: str, gaps: List[Gap]) -> str:
    """The text ``tools/check_ready.py`` prints."""
    if not gaps:
        return f'{config}: ready (every dataset, flow file and weight file it needs is there).'
    lines = [f'{config}: {len(gaps)} missing prerequisite(s):']
    lines += [f'{k}. {gap.what}\n   {gap.problem}' for k, gap in enumerate(gaps, 1)]
    return '\n'.join(lines)
