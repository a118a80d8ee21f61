"""Inference from Python (the idea of ``mmseg.apis``): an adaptor from a config and checkpoint,
its predictions on the frames of a clip, and the plain mmseg segmentor inside it.

* :func:`init_adaptor` + :func:`inference_clip`: the adaptor as trained (what ``tools/test.py``
  evaluates), on frames given as files or arrays.
* :func:`segmentor_config` / :func:`export_segmentor`: the segmentor of an adaptor config as an
  ordinary mmseg config and checkpoint, so that mmseg's own ``init_model`` / ``inference_model``
  (and every mmseg tool) run it. An adaptor is not an mmseg segmentor (it trains on clip pairs of
  two domains and its checkpoint holds discriminators and ``segmentor.``-prefixed weights), so
  rather than making adaptors imitate one, the segmentor is taken out whole; its predictions are
  those of the adaptor (tests/apis/test_python_api.py checks they agree).

docs/python_api.md walks through them.
"""
import copy
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint
from mmseg.structures import SegDataSample

from uda_toolbox.apis.config import load_config, merge_options, resolve_load_from
from uda_toolbox.registry import DATASETS, MODELS
from uda_toolbox.utils.checkpoint import (
    CheckpointError,
    allow_toolbox_checkpoint_globals,
    check_checkpoint_file,
)
from uda_toolbox.utils.io import atomic_write

Frame = Union[str, np.ndarray]
#: Transforms of a test pipeline that read files: replaced for in-memory frames, left out for
#: labels (inference has none), as mmseg's inference_model drops LoadAnnotations.
FRAME_LOADERS = ('LoadClipFrames',)
LABEL_LOADERS = ('LoadClipAnnotations', 'LoadClipSoftLabels', 'LoadClipFlow')


def _config(config: Union[str, Config], cfg_options: Optional[dict]) -> Config:
    cfg = load_config(config) if isinstance(config, str) else copy.deepcopy(config)
    merge_options(cfg, cfg_options)
    return cfg


def dataset_meta(cfg: Config, checkpoint: Optional[dict] = None) -> dict:
    """Classes and palette of a model: its checkpoint's ``meta.dataset_meta`` (mmengine saves the
    training dataset's), else the test dataset type's ``METAINFO`` and the config's ``metainfo``."""
    meta = ((checkpoint or {}).get('meta') or {}).get('dataset_meta')
    if meta and meta.get('classes'):
        return dict(meta)
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    found = dict(getattr(DATASETS.get(dataset.get('type', 'ClipDataset')), 'METAINFO', {}) or {})
    found.update(dataset.get('metainfo') or {})
    return found


def init_adaptor(config: Union[str, Config], checkpoint: Optional[str] = None,
                 device: Optional[str] = None, cfg_options: Optional[dict] = None,
                 init_weights: bool = False) -> torch.nn.Module:
    """Build the adaptor of ``config`` in eval mode, with the weights of ``checkpoint``.

    As mmseg's ``init_model``: without ``init_weights`` the backbone's ImageNet initialisation is
    skipped (the checkpoint holds every weight), ``model.cfg`` keeps the config and
    ``model.dataset_meta`` the classes and palette.

    Args:
        config: A config file (any path :func:`~uda_toolbox.apis.find_config` finds) or a Config.
        checkpoint: A ``.pth`` file, a run's work dir or the config that trains it (its latest
            checkpoint, :func:`~uda_toolbox.apis.resolve_load_from`); None: no weights loaded.
        device: Where the model runs (default: cuda when available, else the CPU).
        cfg_options: Overrides, as ``--cfg-options``.
        init_weights: Run the model's weight initialisation first (the backbone's ImageNet file
            must then exist): what a training run starts from.
    Raises:
        FileNotFoundError: ``checkpoint`` does not exist.
        ValueError: it is not a checkpoint, or lacks weights of the segmentor (another model's).
    """
    from uda_toolbox import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = _config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'uda_toolbox'))
    if not init_weights:
        cfg.model.segmentor.backbone.init_cfg = None
    model = MODELS.build(copy.deepcopy(cfg.model))
    if init_weights:
        model.init_weights()
    loaded = None
    if checkpoint is not None:
        try:
            path = resolve_load_from(checkpoint, key='checkpoint')
        except CheckpointError as exc:
            raise ValueError(str(exc)) from None
        if not osp.exists(path):
            raise FileNotFoundError(f'checkpoint {path!r} does not exist.')
        try:
            check_checkpoint_file(path, key='checkpoint')
            allow_toolbox_checkpoint_globals()
            loaded = _load_checkpoint(path, map_location='cpu')
        except Exception as exc:  # torch raises several types for a file that is not a checkpoint
            raise ValueError(f'cannot load checkpoint {path!r}: {exc}') from None
        state = loaded.get('state_dict', loaded)
        missing, _ = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if k.startswith('segmentor.')]
        if missing:
            raise ValueError(f'checkpoint {path!r} has no weights for {len(missing)} parameters of '
                             f'the segmentor of {cfg.filename} (e.g. {missing[:3]}); is it a '
                             'checkpoint of this config?')
    model.cfg = cfg
    model.dataset_meta = dataset_meta(cfg, loaded)
    # BaseModel.to also moves the data preprocessor, which moves each batch.
    return model.to(device or ('cuda' if torch.cuda.is_available() else 'cpu')).eval()


def _inference_pipeline(cfg: Config, in_memory: bool) -> Compose:
    """The config's test pipeline without label loading (and without file reading for arrays)."""
    steps = [s for s in copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
             if s['type'] not in LABEL_LOADERS and not (in_memory and s['type'] in FRAME_LOADERS)]
    return Compose(steps)


def inference_clip(model: torch.nn.Module, frames: Union[Frame, Sequence[Frame]],
                   batch_size: int = 8) -> Union[SegDataSample, List[SegDataSample]]:
    """Predict every frame of a clip with an adaptor from :func:`init_adaptor`.

    Each frame goes through the config's test pipeline (its resize) and the adaptor's
    ``test_step``, as ``tools/test.py`` evaluates; the prediction comes back at the frame's size.

    Args:
        model: From :func:`init_adaptor` (its ``cfg`` gives the pipeline).
        frames: Image files or BGR uint8 (H, W, 3) arrays, in clip order; one frame alone gives
            one result.
        batch_size: Frames per forward pass.
    Returns:
        ``SegDataSample`` per frame (``pred_sem_seg``, ``seg_logits``), as mmseg's
        ``inference_model``.
    """
    single = isinstance(frames, (str, np.ndarray))
    frames = [frames] if single else list(frames)
    in_memory = isinstance(frames[0], np.ndarray)
    for k, frame in enumerate(frames):
        if not isinstance(frame, np.ndarray if in_memory else str):
            raise TypeError(f'inference_clip: frame {k} is a {type(frame).__name__}; give every '
                            'frame as a file path or every frame as a BGR uint8 (H, W, 3) array '
                            '(cv2.imread returns None for a file it cannot read).')
    pipeline = _inference_pipeline(model.cfg, in_memory)
    items = []
    for k, frame in enumerate(frames):
        results = dict(clip_id='clip', frame_ids=[k], seg_map_paths=[None], flow_paths=[],
                       label_map=None, reduce_zero_label=False, sample_idx=k,
                       num_classes=len(model.dataset_meta.get('classes', ())) or None)
        if in_memory:
            frame = np.ascontiguousarray(frame)
            results.update(imgs=[frame], img_paths=[None], img_shape=frame.shape[:2],
                           ori_shape=frame.shape[:2])
        else:
            results.update(img_paths=[frame])
        items.append(pipeline(results))
    outputs = []
    with torch.no_grad():
        for start in range(0, len(items), batch_size):
            outputs += model.test_step(pseudo_collate(items[start:start + batch_size]))
    return outputs[0] if single else outputs


def predict_frames(model: torch.nn.Module, pipeline, dataset, clip_id: str,
                   records: Sequence[dict], batch_size: int = 8) -> List[np.ndarray]:
    """Label maps (uint8 train ids, at the frames' size) of ``records`` of one clip of
    ``dataset`` (its index records: ``frame_idx``, ``img_path``, ``seg_map_path``): each frame
    through ``pipeline`` (a test pipeline) and the model's ``test_step``, which is what
    ``tools/test.py`` evaluates. ``dataset`` gives the label map and the classes."""
    items = [pipeline(dict(
        clip_id=clip_id, frame_ids=[r['frame_idx']], img_paths=[r['img_path']],
        seg_map_paths=[r.get('seg_map_path')], flow_paths=[], label_map=dataset.label_map,
        reduce_zero_label=False, num_classes=len(dataset.metainfo['classes']), sample_idx=k))
        for k, r in enumerate(records)]
    preds = []
    with torch.no_grad():
        for start in range(0, len(items), batch_size):
            outputs = model.test_step(pseudo_collate(items[start:start + batch_size]))
            preds += [o.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8) for o in outputs]
    return preds


# ----------------------------------------------------------------------------- plain mmseg
def _test_resize(cfg: Config) -> Optional[dict]:
    """mmcv's Resize equal to the test pipeline's ClipResize (None without one)."""
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'ClipResize':
            if step.get('interpolation', 'bilinear') != 'bilinear':
                raise ValueError(f'{cfg.filename}: the test ClipResize interpolates with '
                                 f'{step["interpolation"]!r}; mmcv.Resize only matches bilinear.')
            return dict(type='Resize', scale=tuple(step['scale']),
                        keep_ratio=step.get('keep_ratio', True))
        if step['type'] not in FRAME_LOADERS + LABEL_LOADERS + ('PackFrameInputs',):
            raise ValueError(f'{cfg.filename}: no mmseg equivalent of test transform '
                             f'{step["type"]!r}; segmentor_config knows ClipResize only.')
    return None


def segmentor_config(config: Union[str, Config], cfg_options: Optional[dict] = None) -> Config:
    """The segmentor of an adaptor config as a plain mmseg config (``model`` an EncoderDecoder
    with mmseg's ``SegDataPreProcessor``, an image ``test_pipeline``), for ``mmseg.apis``.

    The pipeline resizes as the clip test pipeline does (``Resize`` for ``ClipResize``, same
    size rule and bilinear interpolation), so predictions equal :func:`inference_clip`'s.
    ``custom_imports`` registers the toolbox's models (DeepLabV2Head, TinyConvNet) when mmseg
    reads the file.
    """
    cfg = _config(config, cfg_options)
    segmentor = copy.deepcopy(cfg.model.segmentor)
    segmentor.backbone.init_cfg = None
    preprocessor = dict(cfg.model.data_preprocessor, type='SegDataPreProcessor')
    segmentor.data_preprocessor = preprocessor
    resize = _test_resize(cfg)
    pipeline = [dict(type='LoadImageFromFile'), *([resize] if resize else []),
                dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
    return Config(dict(
        model=segmentor, test_pipeline=pipeline, default_scope=cfg.get('default_scope', 'uda_toolbox'),
        custom_imports=dict(imports=['uda_toolbox.models'], allow_failed_imports=False)))


def segmentor_state_dict(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The ``segmentor.`` weights of an adaptor state dict, without the prefix."""
    prefix = 'segmentor.'
    weights = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not weights:
        raise ValueError('the state dict has no segmentor.* weights: not an adaptor checkpoint')
    return weights


def export_segmentor(config: Union[str, Config], checkpoint: str, out_dir: str,
                     cfg_options: Optional[dict] = None) -> Tuple[str, str]:
    """Write the segmentor of an adaptor as an mmseg config and checkpoint.

    Args:
        config: The adaptor config (file or Config).
        checkpoint: Its checkpoint (file, work dir or training config, as :func:`init_adaptor`).
        out_dir: Where ``segmentor.py`` and ``segmentor.pth`` go (created; written atomically).
    Returns:
        ``(config_file, checkpoint_file)`` for ``mmseg.apis.init_model``.
    """
    cfg = _config(config, cfg_options)
    path = resolve_load_from(checkpoint, key='checkpoint')
    check_checkpoint_file(path, key='checkpoint')
    allow_toolbox_checkpoint_globals()
    loaded = _load_checkpoint(path, map_location='cpu')
    os.makedirs(out_dir, exist_ok=True)
    config_file = osp.join(out_dir, 'segmentor.py')
    checkpoint_file = osp.join(out_dir, 'segmentor.pth')
    with atomic_write(config_file) as tmp:
        segmentor_config(cfg).dump(str(tmp))
    meta = dict(dataset_meta=dataset_meta(cfg, loaded), source_checkpoint=path)
    with atomic_write(checkpoint_file) as tmp:
        torch.save(dict(state_dict=segmentor_state_dict(loaded.get('state_dict', loaded)),
                        meta=meta), tmp)
    return config_file, checkpoint_file
