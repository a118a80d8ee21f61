"""What the two-frame methods (DA-VSN, TPS) share: pair forwards of the ``TwoFrameSegmentor``.

Both train the ACCEL-style segmentor of their code (``uda_toolbox.models.segmentors.two_frame``)
on (t-1, t) pairs with the t -> t-1 flow and supervise its fused output on source frames t
(``davsn/domain_adaptation/train_video_UDA.py`` and ``tps/domain_adaptation/train_video_UDA.py``:
``loss_calc`` of the upsampled fused main and auxiliary outputs, the latter weighted 0.1).
A base class (``TwoFrameAdaptorMixin``) mixed into ``AdversarialAdaptor`` (DA-VSN) or
``BaseAdaptor`` (TPS).
"""
from typing import Dict, Tuple

import torch
import torch.nn as nn
from mmseg.models.utils import resize
from torch import Tensor

from uda_toolbox.adaptors.base import Batch
from uda_toolbox.models.losses import masked_cross_entropy
from uda_toolbox.models.segmentors import TwoFrameSegmentor

PairOutput = Dict[str, Dict[str, Tensor]]


class PairForward(nn.Module):
    """``TwoFrameSegmentor.forward_pair`` as a module's forward: what DistributedDataParallel wraps
    for the two-frame adaptors (as ``SegmentorForward`` for the single-frame ones)."""

    def __init__(self, segmentor: TwoFrameSegmentor):
        super().__init__()
        self.segmentor = segmentor

    def forward(self, current: Tensor, previous: Tensor, flow: Tensor, fuse: bool = True) -> PairOutput:
        return self.segmentor.forward_pair(current, previous, flow, fuse)


def level_suffix(level: str) -> str:
    """Loss-name suffix of a classifier level: '' for main, '_aux' for the auxiliary one."""
    return '' if level == 'main' else f'_{level}'


class TwoFrameAdaptorMixin:
    """Pair forwards, upsampling and the fused source loss of the two-frame adaptors.

    Put it first among the bases (``class DAVSN(TwoFrameAdaptorMixin, AdversarialAdaptor)``);
    call :meth:`check_two_frame` at the end of ``__init__``.
    """

    segmentor: TwoFrameSegmentor

    def check_two_frame(self) -> None:
        if not isinstance(self.segmentor, TwoFrameSegmentor):
            raise TypeError(
                f"{type(self).__name__} trains a two-frame segmentor: set model.segmentor = "
                "dict(type='TwoFrameSegmentor', segmentor=<an mmseg segmentor>, warp=...), got "
                f'{type(self.segmentor).__name__} (see configs/_base_/models/two_frame_tiny_deeplabv2.py)')

    def ddp_modules(self) -> Dict[str, nn.Module]:
        """The pair forward replaces the single-frame one (the fusion conv is trained through it)."""
        modules = super().ddp_modules()
        modules['segmentor'] = PairForward(self.segmentor)
        return modules

    def segment_pair(self, current: Tensor, previous: Tensor, flow: Tensor,
                     fuse: bool = True) -> PairOutput:
        """``TwoFrameSegmentor.forward_pair``, through the DDP wrapper when one is attached and
        gradients are on (as ``BaseAdaptor.segment_levels``)."""
        ddp = self._ddp.get('segmentor') if torch.is_grad_enabled() else None
        if ddp is not None:
            return ddp(current, previous, flow, fuse)
        return self.segmentor.forward_pair(current, previous, flow, fuse)

    def pair_of(self, batch: Batch, frame: int = -1, domain: str = 'source'
                ) -> Tuple[Tensor, Tensor, Tensor]:
        """(frames ``frame``, frames ``frame - 1``, flow from the first to the second) of a batch.

        Args:
            batch: ``inputs`` (N, T, 3, H, W) and ``flows`` (N, T-1, 2, H, W), where ``flows[:, k]``
                goes from frame k + 1 to frame k.
            frame: Index of the current frame along T (negative from the end).
            domain: For the error message.
        """
        if batch.get('flows') is None:
            raise KeyError(f'{type(self).__name__} needs the optical flow of the {domain} clips: add '
                           f"dict(type='LoadClipFlow') to the {domain} pipeline and set its dataset's "
                           'data_prefix.flow_path (docs/data.md, "Optical flow")')
        inputs = batch['inputs']
        frame = frame % inputs.shape[1]
        if frame < 1:
            raise ValueError(f'{type(self).__name__}: frame {frame} of a {inputs.shape[1]}-frame '
                             'clip has no previous frame')
        return inputs[:, frame], inputs[:, frame - 1], batch['flows'][:, frame - 1]

    def upsample(self, logits: Tensor, size) -> Tensor:
        """Bilinear resize with the wrapped segmentor's ``align_corners`` (True in the originals)."""
        return resize(logits, size=tuple(size), mode='bilinear',
                      align_corners=self.segmentor.align_corners, warning=False)

    def fused_source_losses(self, source: Batch, losses: Dict[str, Tensor],
                            lambda_seg_aux: float) -> PairOutput:
        """Cross-entropy of the fused outputs on source frames t (``loss_seg_src`` and, for the
        auxiliary level, ``loss_seg_src_aux`` weighted by ``lambda_seg_aux``); returns the pair
        output for the method's other terms."""
        current, previous, flow = self.pair_of(source, domain='source')
        out = self.segment_pair(current, previous, flow)
        labels = source['gt_seg'][:, -1]
        for level, logits in out['fused'].items():
            weight = 1.0 if level == 'main' else lambda_seg_aux
            losses[f'loss_seg_src{level_suffix(level)}'] = weight * masked_cross_entropy(
                self.upsample(logits, labels.shape[-2:]), labels, self.ignore_index)
        return out
