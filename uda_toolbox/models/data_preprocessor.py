"""Data preprocessor for UDA batches of clips (training) and single frames (validation, test)."""
from typing import Any, Dict, Optional

import torch
from mmseg.models.data_preprocessor import SegDataPreProcessor

from uda_toolbox.registry import MODELS
from uda_toolbox.utils.normalize import normalize, preprocessor_stats

DOMAINS = ('source', 'target')
# What a test batch may carry besides the frame: its earlier frames and flows (two-frame models).
CONTEXT_KEYS = ('previous', 'flows')


@MODELS.register_module()
class ClipSegDataPreProcessor(SegDataPreProcessor):
    """Normalises and stacks clips; frames for inference are handled as in mmseg.

    Training batches are ``{'source': clip_batch, 'target': clip_batch}`` where a clip
    batch, collated by ``pseudo_collate``, holds lists of ``inputs`` (T, 3, H, W) uint8,
    ``gt_seg`` (T, H, W) uint8, optional ``flows`` / ``flows_fw`` (T-1, 2, H, W) and ``meta`` (one
    data element per clip: clip_id, frame_ids, img_paths). Each
    domain comes back as ``inputs`` float (N, T, 3, H, W) normalised, ``gt_seg`` int64
    (N, T, H, W), ``flows`` / ``flows_fw`` float (N, T-1, 2, H, W) when present, and ``meta``.
    Validation and test batches (``inputs`` + ``data_samples``) go to
    :class:`SegDataPreProcessor` unchanged, so inference is exactly mmseg's. Test batches of
    two-frame models also hold ``previous`` (earlier frames, uint8 (T-1, 3, H, W) each) and
    ``flows`` (``PackFrameInputs``); they come back as ``previous`` float (N, T-1, 3, H, W),
    normalised like ``inputs``, and ``flows`` float (N, T-1, 2, H, W), which the adaptor hands to
    a segmentor that takes them (``TwoFrameSegmentor``).
    """

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        if any(domain in data for domain in DOMAINS):
            return {domain: self._clip_batch(data[domain]) for domain in DOMAINS if domain in data}
        context = {key: data[key] for key in CONTEXT_KEYS if data.get(key) is not None}
        out = super().forward({k: v for k, v in data.items() if k not in CONTEXT_KEYS}, training)
        if 'previous' in context:
            previous = self._stack(context['previous'], torch.float32)
            if previous.shape[-2:] != out['inputs'].shape[-2:]:
                raise ValueError(
                    f'ClipSegDataPreProcessor: the previous frames {tuple(previous.shape[-2:])} and '
                    f'the padded frames {tuple(out["inputs"].shape[-2:])} differ in size; two-frame '
                    'inference takes unpadded frames (no size_divisor / test_cfg.size)')
            out['previous'] = normalize(previous, **preprocessor_stats(self))
        if 'flows' in context:
            out['flows'] = self._stack(context['flows'], torch.float32)
        return out

    def _clip_batch(self, batch: dict) -> Dict[str, Any]:
        inputs = torch.stack(list(batch['inputs'])) if not torch.is_tensor(batch['inputs']) \
            else batch['inputs']
        inputs = normalize(self.cast_data(inputs).float(), **preprocessor_stats(self))
        out: Dict[str, Any] = dict(inputs=inputs, meta=batch.get('meta'))
        out['gt_seg'] = self._stack(batch.get('gt_seg'), torch.long)
        for key in ('flows', 'flows_fw'):  # from frame k + 1 to k, and from frame k to k + 1
            flows = self._stack(batch.get(key), torch.float32)
            if flows is not None:
                out[key] = flows
        soft = self._stack(batch.get('gt_soft'), torch.uint8)  # packed soft labels (LR-ENT)
        if soft is not None:
            out['gt_soft'] = soft
        return out

    def _stack(self, items: Optional[Any], dtype: torch.dtype) -> Optional[torch.Tensor]:
        if items is None:
            return None
        stacked = items if torch.is_tensor(items) else torch.stack(list(items))
        return self.cast_data(stacked).to(dtype)
