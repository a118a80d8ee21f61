"""The one training batch every config is timed on, read through each config's own pipeline."""
import copy
import os.path as osp
import warnings
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from uda_toolbox.analysis.speed.entries import SpeedEntry, SpeedSettings
from uda_toolbox.analysis.speed.measure import Stopwatch, summary
from uda_toolbox.pseudo_labels.predict import dataset_clips, model_prob_fn
from uda_toolbox.registry import DATASETS


def train_dataset_cfg(cfg: Config, pseudo_label_dir: Optional[str]) -> dict:
    """The config's training set; the target's pseudo labels come from ``pseudo_label_dir``."""
    dataset = copy.deepcopy(cfg.train_dataloader.dataset)
    target = dataset.get('target')
    if isinstance(target, dict) and target.get('pseudo_label_dir') is not None:
        if pseudo_label_dir is None:
            raise ValueError('internal: a self-training config needs its round first')
        target['pseudo_label_dir'] = pseudo_label_dir
    return dataset


def fetch_items(dataset: Any, indices: List[int], seed: int) -> List[dict]:
    """Items of ``dataset`` with the random state of each index fixed (same flips everywhere)."""
    items = []
    for k, idx in enumerate(indices):
        np.random.seed(seed + k)
        items.append(dataset[idx % len(dataset)])  # modulo: a shorter set (the oracle's)
    return items


def frame_paths(batch: dict) -> List[Tuple[str, ...]]:
    # Source-free configs (docs/source_free.md) have target batches only.
    return [tuple(meta.img_paths) for domain in ('source', 'target') if domain in batch
            for meta in batch[domain]['meta']]


def batch_shape(batch: dict) -> Dict[str, List[int]]:
    return {domain: list(torch.stack(list(batch[domain]['inputs'])).shape)
            for domain in ('source', 'target') if domain in batch}


def cover_batch_clips(entry: SpeedEntry, indices: List[int], scratch: str) -> None:
    """With ``round_clips`` the timed rounds label some clips only: label the clips of the
    batch in one more (untimed) round when they are not among them."""
    dataset = DATASETS.build(train_dataset_cfg(entry.cfg, entry.pseudo_label_dir))
    target = getattr(dataset, 'target', dataset)
    needed = {target.get_data_info(i % len(target))['clip_id'] for i in indices}
    if needed <= entry.labelled_clips:
        return
    setup = copy.copy(entry.round_setup)
    setup.clips = [clip for clip in dataset_clips(target) if clip[0] in needed]
    out_dir = osp.join(scratch, entry.file_stem, 'labels_batch')
    entry.model.eval()
    with torch.no_grad():
        setup.round(model_prob_fn(entry.model), out_dir)
    entry.model.train()
    entry.pseudo_label_dir, entry.labelled_clips = out_dir, needed


def load_batches(entries: List[SpeedEntry], first: SpeedEntry, settings: SpeedSettings,
                 scratch: str) -> Dict[str, Any]:
    """Build each config's training set, fetch the shared items and time the fetch."""
    length = len(DATASETS.build(train_dataset_cfg(first.cfg, first.pseudo_label_dir)))
    batch_size = settings.batch_size or first.cfg.train_dataloader.get('batch_size', 1)
    indices = [int(i) for i in np.random.default_rng(settings.seed).integers(0, length, batch_size)]
    dataset_cfgs = {}
    for entry in entries:
        if entry.hook is not None:
            cover_batch_clips(entry, indices, scratch)
        dataset_cfgs[entry.name] = train_dataset_cfg(entry.cfg, entry.pseudo_label_dir)
    first.dataset = DATASETS.build(dataset_cfgs[first.name])
    reference_items = pseudo_collate(fetch_items(first.dataset, indices, settings.seed))
    expected = frame_paths(reference_items)
    for entry in entries:
        if entry is not first:
            entry.dataset = DATASETS.build(dataset_cfgs[entry.name])
        entry.batch = pseudo_collate(fetch_items(entry.dataset, indices, settings.seed))
        if frame_paths(entry.batch) != expected:
            if entry.result.get('added_as_reference'):
                # The added reference reads the first config's data (minus pseudo labels).
                ref_cfg = copy.deepcopy(dataset_cfgs[first.name])
                if isinstance(ref_cfg.get('target'), dict):
                    ref_cfg['target'].pop('pseudo_label_dir', None)
                entry.dataset = DATASETS.build(ref_cfg)
                entry.batch = pseudo_collate(fetch_items(entry.dataset, indices, settings.seed))
                entry.result['data_from'] = first.path
            else:
                # E.g. the oracle's target set keeps labelled frames only: same shapes, other
                # frames; the step costs the same, but say so.
                warnings.warn(f'{entry.path}: its training set gives other frames than '
                              f'{first.path} for the same items (same batch shape); timing it '
                              'on its own frames.', stacklevel=2)
        entry.result['same_frames'] = frame_paths(entry.batch) == expected
    load_times: Dict[str, list] = {e.name: [] for e in entries}
    for _ in range(settings.repeats):
        for entry in entries:
            with Stopwatch() as watch:
                pseudo_collate(fetch_items(entry.dataset, indices, settings.seed))
            load_times[entry.name].append(watch)
    for entry in entries:
        entry.result['load'] = summary(
            load_times[entry.name],
            includes='dataset items through the config\'s training pipeline (frames, labels or '
                     'pseudo labels, flow, flip, pack) and pseudo_collate; in training this runs '
                     'in dataloader workers')
    return dict(indices=indices, batch_size=batch_size, shape=batch_shape(reference_items))
