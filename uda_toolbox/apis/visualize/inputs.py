"""What the visualiser reads: configs, clip datasets, frames, labels and the predictions to draw."""
import copy
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from uda_toolbox.apis.config import load_config, merge_options
from uda_toolbox.apis.inference import init_adaptor, predict_frames
from uda_toolbox.registry import DATASETS
from uda_toolbox.utils.classes import apply_label_map, check_label_values
from uda_toolbox.utils.errors import DataError
from uda_toolbox.utils.io import load_frame, load_label

Frame = Dict  # a ClipDataset frame record: frame_idx, img_path, seg_map_path, ...


class VisualizeError(Exception):
    """A bad input: the message names it and says how to fix it (printed without a traceback)."""


def require_file(path: str, what: str, hint: str = '') -> str:
    if not osp.isfile(path):
        raise VisualizeError(f'{what} {path!r} does not exist.' + (f' {hint}' if hint else ''))
    return path


def require_dir(path: str, what: str, hint: str = '') -> str:
    if not osp.isdir(path):
        raise VisualizeError(f'{what} {path!r} is not a directory.' + (f' {hint}' if hint else ''))
    return path


def read_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``apis.load_config`` with the visualiser's message for a missing file, and overrides."""
    require_file(path, 'config file', 'Pass a config such as configs/source_only/synthetic.py.')
    cfg = load_config(path)
    merge_options(cfg, cfg_options)
    return cfg


def build_clip_dataset(cfg: Config, key: str = 'test_dataloader'):
    """The config's clip dataset of ``key`` (its frames, labels and test pipeline)."""
    dataset_cfg = copy.deepcopy(cfg.get(key, {}).get('dataset'))
    if dataset_cfg is None:
        raise VisualizeError(f'the config has no {key}.dataset to take frames and labels from.')
    dataset_cfg.pop('pseudo_label_dir', None)
    try:
        dataset = DATASETS.build(dataset_cfg)
        dataset.full_init()
    except DataError as exc:
        raise VisualizeError(f'data error: {exc}') from None
    if not (hasattr(dataset, 'clip_ids') and hasattr(dataset, 'clip_frames')):
        raise VisualizeError(f'{key}.dataset is a {type(dataset).__name__}; the visualiser needs a '
                             'clip dataset (ClipDataset or a subclass).')
    return dataset


def select_clips(available: Sequence[str], wanted: Optional[Sequence[str]]) -> List[str]:
    """``wanted`` clip ids (``['all']``: every clip; None: the first one), checked."""
    available = list(available)
    if not available:
        raise VisualizeError('the dataset has no clips.')
    if not wanted:
        return available[:1]
    if list(wanted) == ['all']:
        return available
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise VisualizeError(f'unknown clip(s) {unknown}; the dataset has {len(available)} clips: '
                             f'{available[:20]}{" ..." if len(available) > 20 else ""}')
    return list(wanted)


def read_rgb(path: str) -> np.ndarray:
    return np.ascontiguousarray(load_frame(path)[..., ::-1])


def frame_stem(record: Frame) -> str:
    return osp.splitext(osp.basename(record['img_path']))[0]


def load_ground_truth(dataset, record: Frame) -> Optional[np.ndarray]:
    """Train-id ground truth of a frame (the dataset's label_map applied), None if unannotated."""
    path = record.get('seg_map_path')
    if path is None:
        return None
    label = load_label(path)
    label_map = getattr(dataset, 'label_map', None)
    if label_map:
        label = apply_label_map(label, label_map, path)
    check_label_values(label, len(dataset.metainfo['classes']), path, mapped=bool(label_map))
    return label


def load_label_png(path: str, num_classes: int, hint: str) -> np.ndarray:
    """A (H, W) label PNG of train ids (a prediction or a pseudo label), checked."""
    require_file(path, 'label file', hint)
    label = load_label(path)
    check_label_values(label, num_classes, path)
    return label


# ----------------------------------------------------------------------------- predictors
class ModelPredictor:
    """Predictions of a checkpoint: the frames go through the config's test pipeline and the
    model's ``test_step`` (what tools/test.py evaluates), labels at the frames' size."""

    def __init__(self, cfg: Config, checkpoint: str, batch_size: int = 8,
                 device: Optional[str] = None) -> None:
        require_file(checkpoint, 'checkpoint', 'Pass a .pth file written by tools/train.py '
                     '(e.g. work_dirs/<run>/iter_400.pth).')
        self.pipeline = build_clip_dataset(cfg).pipeline
        try:
            self.model = init_adaptor(cfg, checkpoint, device).eval()
        except ValueError as exc:
            raise VisualizeError(str(exc)) from None
        self.batch_size = batch_size

    def __call__(self, dataset, clip_id: str, records: Sequence[Frame]) -> List[np.ndarray]:
        return predict_frames(self.model, self.pipeline, dataset, clip_id, records, self.batch_size)


class DirPredictor:
    """Predictions already on disk: ``<pred_dir>/<clip>/<frame stem>.png`` label maps (train
    ids), the layout ``predict --save-pred`` and the pseudo-label rounds write."""

    def __init__(self, pred_dir: str) -> None:
        self.pred_dir = require_dir(pred_dir, 'predictions directory',
                                    'It must hold <clip>/<frame stem>.png label maps.')

    def __call__(self, dataset, clip_id: str, records: Sequence[Frame]) -> List[np.ndarray]:
        num_classes = len(dataset.metainfo['classes'])
        return [load_label_png(osp.join(self.pred_dir, clip_id, frame_stem(r) + '.png'),
                               num_classes, f'Expected {self.pred_dir}/<clip>/<frame stem>.png for '
                               'every frame shown (write them with predict --save-pred).')
                for r in records]


Predictor = Callable[[object, str, Sequence[Frame]], List[np.ndarray]]


def build_predictors(configs: Sequence[str], checkpoints: Optional[Sequence[str]],
                     pred_dirs: Optional[Sequence[str]], cfg_options: Optional[dict],
                     batch_size: int, device: Optional[str] = None) -> List[Predictor]:
    if pred_dirs:
        return [DirPredictor(d) for d in pred_dirs]
    if not checkpoints or len(checkpoints) != len(configs):
        raise VisualizeError(f'give one checkpoint per config ({len(configs)} config(s), '
                             f'{len(checkpoints or [])} checkpoint(s)), or --pred-dir(s).')
    return [ModelPredictor(read_config(c, cfg_options), ckpt, batch_size, device)
            for c, ckpt in zip(configs, checkpoints)]
