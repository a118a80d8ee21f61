"""The two-frame flow-fusion segmentor of DA-VSN and TPS ("ACCEL-style"), wrapping any mmseg segmentor.

Both originals (``davsn/model/accel_deeplabv2.py``, ``tps/model/accel_deeplabv2.py``) run ONE
segmentor on frame t with gradients and on frame t-1 without, warp the class scores of t-1 onto
frame t with the t -> t-1 flow, and fuse the two with a bias-free 1x1 convolution over
[scores_t ; warped scores_{t-1}] whose weight starts as [I | 0], so the fused output starts as the
scores of frame t. One fusion convolution serves the main and the auxiliary classifier. Nothing of
a flow network runs in the model: the flow is an input (precomputed files).
docs/methods/da_vsn.md, docs/methods/tps.md and research/peers_davsn_tps.md section 2.
"""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from mmseg.models.segmentors import BaseSegmentor
from mmseg.models.utils import resize
from mmseg.structures import SegDataSample
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from uda_toolbox.registry import MODELS
from uda_toolbox.utils.warp import FLOW_SCALINGS, propagate, resize_flow

#: Warps of the fusion: TPS's backward bilinear (``Resample2d``), DA-VSN's forward nearest splat with
#: its hole mask, or None (no propagation: t-1 scores at the same pixel, DA-VSN before 2021-09-14).
FUSION_WARPS = ('bilinear', 'splat', None)
#: BatchNorm during training: ``'batch_stats'`` (the originals: ``model.train()`` with batch size 1,
#: so batch statistics and running-stat updates on every forward, t-1 included), ``'frozen'``
#: (running statistics, never updated), None (what the wrapped segmentor's config says).
BN_MODES = ('batch_stats', 'frozen', None)

Levels = Dict[str, Tensor]


@MODELS.register_module()
class TwoFrameSegmentor(BaseSegmentor):
    """A segmentor on frame pairs (t-1, t) whose output fuses the current and the warped previous scores.

    ``forward_pair(current, previous, flow)`` gives, per classifier level (``'main'``, and ``'aux'``
    when the wrapped segmentor has an ``auxiliary_head``) and at the logit grid:

    - ``current``: scores of frame t (with gradients);
    - ``previous``: scores of frame t-1 (computed under ``no_grad``; NOT warped, as the originals
      return them);
    - ``fused``: ``fusion([current ; W(previous)])`` with W the configured warp.

    The flow (t -> t-1 on the frame-t grid, any resolution) is resized to the logit grid with
    :func:`~uda_toolbox.utils.warp.resize_flow` (bilinear, align_corners=True, both components
    times the height ratio as the originals; ``flow_scaling='per_axis'`` scales dx by the width
    ratio instead).

    Inference (``predict``) needs the previous frame and the flow: test items carry them when the
    test dataset has ``num_frames=2`` and the pipeline loads the flow (``LoadClipFlow``,
    ``PackFrameInputs``); the prediction is the fused main output, upsampled to the input and then
    to the original size (``align_corners`` of the wrapped segmentor). Cost per frame: two passes of
    the wrapped segmentor (the t-1 pass could be cached when frames are processed in order) plus the
    warp and a 1x1 convolution.

    Single-frame use: ``extract_feat``, ``decode_head``, ``auxiliary_head`` and ``align_corners``
    are the wrapped segmentor's, so code that segments frames one by one sees the plain segmentor.

    Args:
        segmentor: Config of the wrapped mmseg segmentor (an ``EncoderDecoder``: DeepLabv2 on
            ResNet-50/101, SegFormer, ...), swapped by ``_base_`` model.
        warp: ``'bilinear'`` (TPS), ``'splat'`` (DA-VSN) or None (see :data:`FUSION_WARPS`).
        flow_scaling: ``'height'`` (the originals) or ``'per_axis'``.
        bn_mode: See :data:`BN_MODES`.
        data_preprocessor: Unused (the adaptor's preprocessor normalises); kept for mmseg's API.
        init_cfg: Initialisation config.
    """

    #: Inference takes the previous frames and flows of a test batch (``BaseAdaptor.forward``).
    takes_previous_frame = True

    def __init__(self, segmentor: dict, warp: Optional[str] = 'bilinear', flow_scaling: str = 'height',
                 bn_mode: Optional[str] = 'batch_stats', data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if warp not in FUSION_WARPS:
            raise ValueError(f'TwoFrameSegmentor: warp must be one of {FUSION_WARPS}, got {warp!r}')
        if flow_scaling not in FLOW_SCALINGS:
            raise ValueError(f'TwoFrameSegmentor: flow_scaling must be one of {FLOW_SCALINGS}, got '
                             f'{flow_scaling!r}')
        if bn_mode not in BN_MODES:
            raise ValueError(f'TwoFrameSegmentor: bn_mode must be one of {BN_MODES}, got {bn_mode!r}')
        if isinstance(segmentor, dict) and segmentor.get('type') == 'TwoFrameSegmentor':
            raise ValueError('TwoFrameSegmentor: the wrapped segmentor is itself a TwoFrameSegmentor')
        self.segmentor = MODELS.build(segmentor)
        if not getattr(self.segmentor, 'with_decode_head', False):
            raise TypeError(f'TwoFrameSegmentor wraps an mmseg segmentor with a decode_head, got '
                            f'{type(self.segmentor).__name__}')
        if isinstance(getattr(self.segmentor, 'auxiliary_head', None), nn.ModuleList):
            raise ValueError('TwoFrameSegmentor supports one auxiliary head (a dict in '
                             'model.segmentor.segmentor.auxiliary_head), got a list')
        self.warp = warp
        self.flow_scaling = flow_scaling
        self.bn_mode = bn_mode
        self.num_classes: int = self.segmentor.decode_head.num_classes
        self.out_channels: int = self.segmentor.decode_head.out_channels
        self.align_corners: bool = self.segmentor.align_corners
        # One fusion for both levels, as the originals' sf_layer.
        self.fusion = nn.Conv2d(2 * self.out_channels, self.out_channels, 1, bias=False)
        self.reset_fusion()

    # ------------------------------------------------------------------ the wrapped segmentor
    @property
    def decode_head(self) -> nn.Module:
        return self.segmentor.decode_head

    @property
    def auxiliary_head(self) -> Optional[nn.Module]:
        return getattr(self.segmentor, 'auxiliary_head', None)

    @property
    def test_cfg(self):
        return self.segmentor.test_cfg

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """Features of single frames (the wrapped segmentor's)."""
        return self.segmentor.extract_feat(inputs)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Single-frame scores of the wrapped segmentor (no fusion); see :meth:`predict`."""
        return self.segmentor.encode_decode(inputs, batch_img_metas)

    # ------------------------------------------------------------------ fusion
    def reset_fusion(self) -> None:
        """Fusion weight [I | 0]: the fused output equals the scores of frame t."""
        c = self.out_channels
        with torch.no_grad():
            self.fusion.weight.zero_()
            self.fusion.weight[:, :c, 0, 0] = torch.eye(c)

    def init_weights(self) -> None:
        super().init_weights()
        self.reset_fusion()  # an init_cfg of the whole model must not touch the identity start

    def train(self, mode: bool = True) -> 'TwoFrameSegmentor':
        super().train(mode)
        if mode and self.bn_mode is not None:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.train(self.bn_mode == 'batch_stats')
        return self

    def level_logits(self, frames: Tensor) -> Levels:
        """Scores of single frames (N, 3, H, W) at the logit grid: ``main`` and, if any, ``aux``."""
        feats = self.segmentor.extract_feat(frames)
        logits = {'main': self.segmentor.decode_head(feats)}
        if self.segmentor.with_auxiliary_head:
            logits['aux'] = self.segmentor.auxiliary_head(feats)
        return logits

    def propagate(self, values: Tensor, flow: Tensor, method: Optional[str] = 'default'):
        """Frame t-1 values (N, C, h, w) onto frame t with the t -> t-1 ``flow`` (N, 2, Hf, Wf).

        The flow is resized to the values' grid (:func:`resize_flow` with ``flow_scaling``);
        ``method`` defaults to the fusion's warp. Returns (values on frame t, mask (N, 1, h, w)).
        """
        method = self.warp if method == 'default' else method
        return propagate(values, resize_flow(flow, values.shape[-2:], self.flow_scaling), method)

    def fuse(self, current: Tensor, previous: Tensor, flow: Tensor) -> Tensor:
        """``fusion([current ; W(previous)])``: holes of the splat hold 0 (DA-VSN's mask)."""
        warped, mask = self.propagate(previous, flow)
        return self.fusion(torch.cat([current, warped * mask.to(warped.dtype)], dim=1))

    def forward_pair(self, current: Tensor, previous: Tensor, flow: Tensor,
                     fuse: bool = True) -> Dict[str, Levels]:
        """Scores of a frame pair; see the class doc.

        Args:
            current: (N, 3, H, W) normalised frames t.
            previous: (N, 3, H', W') normalised frames t-1 (their own size is allowed: TPS's
                rescaled student pair keeps one flow file; the flow is resized to the logit grid).
            flow: (N, 2, Hf, Wf) t -> t-1 flow in pixels of its own grid.
            fuse: Compute ``fused`` (DA-VSN's target branch does not use it).
        Returns:
            ``{'current': levels, 'previous': levels, 'fused': levels}`` (no ``fused`` when
            ``fuse`` is False), each ``{'main': (N, C, h, w), 'aux': ...}``.
        """
        if flow.dim() != 4 or flow.shape[1] != 2 or flow.shape[0] != current.shape[0]:
            raise ValueError(f'TwoFrameSegmentor: flow must be (N, 2, H, W) with N = '
                             f'{current.shape[0]}, got {tuple(flow.shape)}')
        out = {'current': self.level_logits(current)}
        with torch.no_grad():
            out['previous'] = self.level_logits(previous)
        if fuse:
            out['fused'] = {level: self.fuse(logits, out['previous'][level], flow)
                            for level, logits in out['current'].items()}
        return out

    # ------------------------------------------------------------------ mmseg API
    def _context(self, previous: Optional[Tensor], flows: Optional[Tensor]):
        """Frame t-1 and the t -> t-1 flow of a test batch (the last of its earlier frames)."""
        if previous is None or flows is None:
            raise ValueError(
                'TwoFrameSegmentor needs the previous frame and the flow at test time: give the test '
                'dataset num_frames=2 and load the flow in its pipeline (LoadClipFrames, '
                'LoadClipFlow, ..., PackFrameInputs); see configs/tps/synthetic.py')
        if previous.dim() == 5:
            previous, flows = previous[:, -1], flows[:, -1]
        return previous, flows

    def _forward(self, inputs: Tensor, data_samples=None, previous: Optional[Tensor] = None,
                 flows: Optional[Tensor] = None) -> Tensor:
        """Fused main scores (N, C, h, w) of frames ``inputs`` given their previous frames/flows."""
        previous, flows = self._context(previous, flows)
        return self.forward_pair(inputs, previous, flows)['fused']['main']

    def predict(self, inputs: Tensor, data_samples: Optional[List[SegDataSample]] = None,
                previous: Optional[Tensor] = None, flows: Optional[Tensor] = None
                ) -> List[SegDataSample]:
        """mmseg's predict on the fused main output (whole-image inference).

        Args:
            inputs: (N, 3, H, W) normalised frames t.
            data_samples: Their data samples (metainfo for the resize to the original size).
            previous: (N, T-1, 3, H, W) or (N, 3, H, W) normalised earlier frames (the last is t-1).
            flows: (N, T-1, 2, Hf, Wf) or (N, 2, Hf, Wf) flows; the last is t -> t-1.
        """
        mode = (self.test_cfg or {}).get('mode', 'whole')
        if mode != 'whole':
            raise ValueError(f"TwoFrameSegmentor predicts whole frames; set the wrapped segmentor's "
                             f"test_cfg=dict(mode='whole') (got mode={mode!r})")
        logits = self._forward(inputs, data_samples, previous, flows)
        seg_logits = resize(logits, size=inputs.shape[2:], mode='bilinear',
                            align_corners=self.align_corners, warning=False)
        return self.postprocess_result(seg_logits, data_samples)

    def loss(self, inputs: Tensor, data_samples: List[SegDataSample]) -> dict:
        raise NotImplementedError('TwoFrameSegmentor trains inside an adaptor (e.g. DAVSN, TPS), '
                                  'which computes its losses from forward_pair')
