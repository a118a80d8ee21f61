"""STPL, our reading: spatio-temporal pixel-level contrastive learning for source-free video adaptation
(Lo et al., CVPR 2023). The paper's method section and code could not be read; only its abstract and
introduction. docs/methods/stpl.md says which parts come from the paper and which are ours."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmseg.models.utils import resize
from torch import Tensor

from uda_toolbox.adaptors.base import Batch
from uda_toolbox.adaptors.source_free import SourceFreeAdaptor, resize_labels
from uda_toolbox.models.heads import ProjectionHead
from uda_toolbox.models.source_free_losses import pixel_contrast_loss
from uda_toolbox.registry import MODELS
from uda_toolbox.utils.normalize import denormalize, preprocessor_stats
from uda_toolbox.utils.warp import (
    DEFAULT_CONSISTENCY_ALPHA,
    DEFAULT_CONSISTENCY_THRESHOLD,
    photometric_consistency,
    warp,
)

TEACHERS = ('source', 'ema')
CE_FRAMES = ('all', 'current')


def warp_to_current(x: Tensor, flows: List[Tensor], mode: str = 'bilinear') -> Tuple[Tensor, Tensor]:
    """Carry ``x`` from frame s onto the grid of frame t = s + len(flows) by successive backward
    warps (``utils.warp.warp``).

    Args:
        x: (N, C, H, W) values on frame s.
        flows: [flow s+1 -> s, ..., flow t -> t-1], each (N, 2, H, W) in pixels.
        mode: ``'bilinear'`` or ``'nearest'``.
    Returns:
        (x on frame t's grid, valid (N, 1, H, W) bool: every step of the chain stayed in bounds).
    """
    valid = torch.ones_like(x[:, :1], dtype=torch.bool)
    for flow in flows:
        x, in_bounds = warp(x, flow, mode)
        carried, _ = warp(valid.to(x.dtype if x.is_floating_point() else torch.float32), flow,
                          'nearest')
        valid = (carried > 0.5) & in_bounds
    return x, valid


def resize_flow(flow: Tensor, size) -> Tensor:
    """(N, 2, H, W) pixel flow resized to ``size`` (bilinear), its vectors scaled with the grid."""
    h, w = flow.shape[-2:]
    small = resize(flow, size=tuple(size), mode='bilinear', align_corners=False)
    scale = flow.new_tensor([size[1] / w, size[0] / h]).view(1, 2, 1, 1)
    return small * scale


@MODELS.register_module()
class STPL(SourceFreeAdaptor):
    """Spatio-temporal pixel-level contrastive learning on target clips, as we read STPL:

        L = CE(P, y^) + lambda_contrast * L_STPL

    * y^: pseudo labels of a teacher (``teacher='source'``: the frozen source model;
      ``'ema'``: an exponential moving average of the student), its argmax where its
      confidence reaches ``confidence_threshold`` (ignored elsewhere);
    * embeddings: a projection head (:class:`ProjectionHead`, 1x1-BN-ReLU-1x1, L2-normalised)
      on the features the segmentor's classifier reads;
    * the spatio-temporal set of a clip: the embeddings of the current frame t and those of
      the ``past_frames`` earlier frames warped onto frame t with the clip's optical flow
      (:func:`warp_to_current`), kept where the warp is valid (in bounds, and with
      ``occlusion_check`` not occluded by Shin et al. (2021) Eq. 10's photometric test), each
      position with its own frame's pseudo label carried along;
    * L_STPL (:func:`pixel_contrast_loss`): anchors sampled per pseudo class from frame t (at
      most ``anchors_per_class``, and ``max_anchors`` per clip over all classes), positives
      the other members of that class anywhere in the set, negatives the members of the other
      classes, temperature ``temperature``; averaged over the anchors of the batch.

    Every choice above except "pixel-level contrast in the spatio-temporal space of target
    clips, on top of a source-trained model, without source data" is ours (docs/methods/stpl.md).

    Args:
        segmentor: Config of the mmseg segmentor (loaded from a source-only checkpoint).
        teacher: ``'source'`` (default: the source model is the only source knowledge SFDA
            has, and a frozen one cannot drift without a source loss to anchor the student) or
            ``'ema'``.
        ema_momentum: Momentum of the ``'ema'`` teacher (0.999, Mean Teacher / DAFormer).
        confidence_threshold: Teacher confidence below which a pixel is ignored (0.9); None
            keeps every pixel.
        lambda_contrast: Weight of L_STPL (0.1, ContrastiveSeg's ``loss_weight``).
        temperature: tau (0.1, ContrastiveSeg).
        embed_channels: Embedding size (256, ContrastiveSeg's ``proj_dim``).
        projector_channels: Hidden channels of the projection head (None: its input's).
        anchors_per_class: Anchors per pseudo class and clip (100, ContrastiveSeg's
            ``max_views``).
        max_anchors: Anchors per clip over all classes (1024, ContrastiveSeg's ``max_samples``).
        past_frames: Earlier frames warped into the set (1: the (t - 1, t) clips of the
            benchmarks); the clip must have at least ``past_frames + 1`` frames and flow.
        occlusion_check: Also drop warped positions that fail Eq. 10's photometric test.
        consistency_alpha, consistency_th: Eq. 10's alpha and th.
        ce_frames: Cross-entropy on ``'all'`` frames of the clip or only the ``'current'`` one.
        data_preprocessor, init_cfg: As :class:`BaseAdaptor`.
    """

    def __init__(self, segmentor: dict, teacher: str = 'source', ema_momentum: float = 0.999,
                 confidence_threshold: Optional[float] = 0.9, lambda_contrast: float = 0.1,
                 temperature: float = 0.1, embed_channels: int = 256,
                 projector_channels: Optional[int] = None, anchors_per_class: int = 100,
                 max_anchors: int = 1024, past_frames: int = 1, occlusion_check: bool = True,
                 consistency_alpha: float = DEFAULT_CONSISTENCY_ALPHA,
                 consistency_th: float = DEFAULT_CONSISTENCY_THRESHOLD, ce_frames: str = 'all',
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if teacher not in TEACHERS:
            raise ValueError(f'STPL: teacher must be one of {TEACHERS}, got {teacher!r} '
                             '(model.teacher in the config)')
        if ce_frames not in CE_FRAMES:
            raise ValueError(f'STPL: ce_frames must be one of {CE_FRAMES}, got {ce_frames!r}')
        if past_frames < 0 or anchors_per_class < 1 or max_anchors < 1:
            raise ValueError('STPL: past_frames must be >= 0 and anchors_per_class, max_anchors '
                             f'>= 1; got {past_frames}, {anchors_per_class}, {max_anchors}')
        self.teacher_type = teacher
        self.ema_momentum = ema_momentum
        self.confidence_threshold = confidence_threshold
        self.lambda_contrast = lambda_contrast
        self.temperature = temperature
        self.anchors_per_class = anchors_per_class
        self.max_anchors = max_anchors
        self.past_frames = past_frames
        self.occlusion_check = occlusion_check
        self.consistency_alpha = consistency_alpha
        self.consistency_th = consistency_th
        self.ce_frames = ce_frames
        self.projector = ProjectionHead(self.feature_channels(), embed_channels, projector_channels)
        self.add_copy('teacher', with_heads=False, eval_mode=True)

    def trained_heads(self):
        return dict(projector=self.projector)

    # ------------------------------------------------------------------ the step
    def target_loss(self, target: Batch) -> Dict[str, Tensor]:
        frames = target['inputs']  # (N, T, 3, H, W)
        if self.teacher_type == 'ema':
            self.ema_update_copy('teacher', self.ema_momentum)
        labels = self.teacher_labels(frames)  # (N, T, H, W)
        out = self.forward_features(frames)
        frames_ce = slice(None) if self.ce_frames == 'all' else slice(-1, None)
        losses = dict(loss_seg_tgt=self.seg_loss(out['logits'][:, frames_ce], labels[:, frames_ce]))
        per_anchor = self.spatio_temporal_contrast(out['projector'], labels, frames, target.get('flows'))
        losses['loss_contrast'] = self.lambda_contrast * (
            per_anchor.mean() if per_anchor.numel() else out['projector'].sum() * 0.0)
        losses['contrast_anchors'] = torch.tensor(float(per_anchor.numel()))
        losses['tgt_labelled'] = (labels != self.ignore_index).float().mean()
        return losses

    @torch.no_grad()
    def teacher_labels(self, frames: Tensor) -> Tensor:
        """The teacher's argmax, ignored below ``confidence_threshold``: (N, T, H, W) int64."""
        probs = self.copy_network('teacher')(frames)['logits'].softmax(dim=2)
        confidence, labels = probs.max(dim=2)
        if self.confidence_threshold is not None:
            labels[confidence < self.confidence_threshold] = self.ignore_index
        return labels

    def spatio_temporal_contrast(self, embeddings: Tensor, labels: Tensor, frames: Tensor,
                                 flows: Optional[Tensor]) -> Tensor:
        """Per-anchor L_STPL of every clip, concatenated ((A,), anchors without a positive are
        dropped).

        Args:
            embeddings: (N, T, E, h, w) unit embeddings of the student.
            labels: (N, T, H, W) pseudo labels.
            frames: (N, T, 3, H, W) normalised frames (for the occlusion test).
            flows: (N, T - 1, 2, H, W), ``flows[:, k - 1]`` from frame k to k - 1.
        """
        n, t = embeddings.shape[:2]
        past = min(self.past_frames, t - 1)
        if past > 0 and flows is None:
            raise ValueError("STPL(past_frames > 0) needs the target clip's optical flow: add "
                             "dict(type='LoadClipFlow') to the target pipeline and set its "
                             'flow_path (configs/_base_/datasets/synthetic_source_free_flow.py).')
        size = embeddings.shape[-2:]
        small_labels = resize_labels(labels.flatten(0, 1), size).unflatten(0, (n, t))
        occlusion = self._visible_past(frames, flows, past, size) if past and self.occlusion_check \
            else None
        losses = []
        for b in range(n):
            keys, key_labels = self._clip_set(b, embeddings, small_labels, flows, past, size,
                                              occlusion)
            current = small_labels[b, -1].flatten()
            anchor_index = self._sample_anchors(current)
            if anchor_index.numel() == 0:
                continue
            # the frame-t positions come first in the key set, with the ignored ones removed
            labelled = torch.nonzero(current != self.ignore_index).flatten()
            key_position = torch.full_like(current, -1)
            key_position[labelled] = torch.arange(labelled.numel(), device=current.device)
            per_anchor = pixel_contrast_loss(keys[key_position[anchor_index]],
                                             current[anchor_index], keys, key_labels,
                                             self.temperature, key_position[anchor_index],
                                             reduction='none')
            has_positive = self._has_positive(current[anchor_index], key_labels)
            losses.append(per_anchor[has_positive])
        return torch.cat(losses) if losses else embeddings.new_zeros(0)

    def _clip_set(self, b: int, embeddings: Tensor, small_labels: Tensor, flows: Optional[Tensor],
                  past: int, size, occlusion: Optional[List[Tensor]]) -> Tuple[Tensor, Tensor]:
        """(keys (K, E), labels (K,)) of clip ``b``: frame t's labelled positions, then each
        past frame's valid, labelled positions warped onto frame t."""
        t = embeddings.shape[1]
        cur = t - 1
        emb = embeddings[b, cur].flatten(1).t()
        lab = small_labels[b, cur].flatten()
        keep = lab != self.ignore_index
        keys, key_labels = [emb[keep]], [lab[keep]]
        small_flows = [resize_flow(flows[b:b + 1, k - 1], size) for k in range(cur - past + 1, cur + 1)] \
            if past else []
        for j in range(1, past + 1):
            chain = small_flows[past - j:]  # flow (cur-j+1 -> cur-j), ..., (cur -> cur-1)
            warped, valid = warp_to_current(embeddings[b:b + 1, cur - j], chain, 'bilinear')
            warped_labels, _ = warp_to_current(small_labels[b:b + 1, None, cur - j], chain, 'nearest')
            valid = valid[0, 0] & (warped_labels[0, 0] != self.ignore_index)
            if occlusion is not None:
                valid &= occlusion[j - 1][b]
            warped = F.normalize(warped[0], dim=0).flatten(1).t()
            keys.append(warped[valid.flatten()])
            key_labels.append(warped_labels[0, 0].flatten()[valid.flatten()])
        return torch.cat(keys), torch.cat(key_labels)

    @torch.no_grad()
    def _visible_past(self, frames: Tensor, flows: Tensor, past: int, size) -> List[Tensor]:
        """For each j = 1..past, (N, h, w) bool: frame t - j warped onto frame t passes Eq. 10's
        photometric test at full resolution (then nearest-resized to the feature grid)."""
        stats = preprocessor_stats(self.data_preprocessor)
        unit = (denormalize(frames, stats['mean'], stats['std']) / 255.0).clamp(0, 1)
        cur = frames.shape[1] - 1
        visible = []
        for j in range(1, past + 1):
            chain = [flows[:, k - 1] for k in range(cur - j + 1, cur + 1)]
            warped, in_bounds = warp_to_current(unit[:, cur - j], chain, 'bilinear')
            ok = (photometric_consistency(unit[:, cur], warped, self.consistency_alpha)
                  > self.consistency_th) & in_bounds
            visible.append(resize_labels(ok[:, 0].to(torch.uint8), size).bool())
        return visible

    def _sample_anchors(self, labels: Tensor) -> Tensor:
        """Indices of at most ``anchors_per_class`` random positions per present class (and
        ``max_anchors`` in all, split evenly over the classes) among ``labels`` (h*w,)."""
        classes = [int(c) for c in torch.unique(labels) if int(c) != self.ignore_index]
        if not classes:
            return labels.new_zeros(0)
        per_class = min(self.anchors_per_class, max(1, self.max_anchors // len(classes)))
        picked = []
        for c in classes:
            members = torch.nonzero(labels == c).flatten()
            order = torch.randperm(members.numel(), device=labels.device)[:per_class]
            picked.append(members[order])
        return torch.cat(picked)

    @staticmethod
    def _has_positive(anchor_labels: Tensor, key_labels: Tensor) -> Tensor:
        """Whether each anchor has another key of its class (the anchor itself is one key)."""
        counts = (anchor_labels[:, None] == key_labels[None, :]).sum(dim=1)
        return counts > 1
