"""An adaptor from a config (and checkpoint), and its predictions on frames of a clip dataset."""
import copy
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner.checkpoint import load_checkpoint

from uda_toolbox.registry import MODELS


def init_adaptor(cfg: Config, checkpoint: Optional[str] = None, device: Optional[str] = None,
                 init_weights: bool = False) -> torch.nn.Module:
    """Build ``cfg.model``, optionally run its weight initialisation, load ``checkpoint`` (on the
    CPU first) and move it to ``device`` (default: cuda when available). The mode (train/eval)
    is left to the caller.

    Raises:
        FileNotFoundError: ``checkpoint`` does not exist.
        ValueError: it is not a checkpoint this model can load (the message says why).
    """
    model = MODELS.build(copy.deepcopy(cfg.model))
    if init_weights:
        model.init_weights()
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist.')
        try:
            load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
        except Exception as exc:  # torch raises several types for a file that is not a checkpoint
            raise ValueError(f'cannot load checkpoint {checkpoint!r}: {exc}') from None
    # BaseModel.to also moves the data preprocessor, which moves each batch.
    return model.to(device or ('cuda' if torch.cuda.is_available() else 'cpu'))


def predict_frames(model: torch.nn.Module, pipeline, dataset, clip_id: str,
                   records: Sequence[dict], batch_size: int = 8) -> List[np.ndarray]:
    """Label maps (uint8 train ids, at the frames' size) of ``records`` of one clip: each frame
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
