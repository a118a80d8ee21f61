"""HCL (Huang et al., NeurIPS 2021, "Model Adaptation: Historical Contrastive Learning for Unsupervised
Domain Adaptation without Source Data"). Official code: jxhuang0508/HCL (``hcl_target/``).
docs/methods/hcl.md"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmseg.models.utils import resize
from torch import Tensor

from uda_toolbox.adaptors.base import Batch
from uda_toolbox.adaptors.source_free import SourceFreeAdaptor, resize_labels
from uda_toolbox.models.heads import ProjectionHead
from uda_toolbox.models.losses import self_information_map
from uda_toolbox.models.source_free_losses import (
    consistency_weighted_cross_entropy,
    hcl_class_weights,
    historical_contrast_loss,
    prediction_kl,
)
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class HCL(SourceFreeAdaptor):
    """Historical contrastive learning, as the official segmentation code trains it
    (``hcl_target/trainer_hcl.py``, ``gen_update``; run of the README: ``--lambda-seg 0.5``,
    ``--class-balance --often-balance --max-value 7``).

    Models: the student G; ``ema`` (G_ma), the exponential moving average of G (momentum
    0.996, BatchNorm buffers copied); ``historical`` (G_source), a snapshot of G; both reset to
    G every ``history_interval`` (300) steps and initialised from the loaded source model; and
    ``source``, the frozen source model that makes the pseudo labels (HCL makes them offline
    once with the source model: ``generate_plabel_cityscapes_advent.py``, argmax of the
    softmax averaged over scales 1.0 / 1.25 and flips, no threshold).

    Each step: the student sees a rescaled view of the frames (HCL's dataset: random scale
    0.8-1.2 of the same crop); the historical models see the frames as loaded. With y^ the
    pseudo labels (on each view),

        L = CE_w(P, y^) + lambda_seg_aux * CE_w(P_aux, y^) + lambda_contrast * L_HCID

    * CE_w (HCCD, historical contrastive category discrimination): the class-balanced
      cross-entropy per pixel times exp(-KL(p_G_source || p_G_ma)) (the two historical models'
      agreement), averaged over every pixel (:func:`consistency_weighted_cross_entropy`,
      :func:`hcl_class_weights`); P_aux only when the segmentor has an auxiliary head;
    * L_HCID (historical contrastive instance discrimination): student embeddings (queries)
      against G_ma's embeddings (keys) of the projection head, positives sharing the pseudo
      label, keys weighted by G_ma's reliability clamp(1 - H_norm + 0.1, 0.9, 1.1)
      (:func:`historical_contrast_loss`, temperature 0.07).

    Our adaptations (docs/methods/hcl.md): the projection head reads the main classifier's
    input features (HCL: ResNet layer3, the auxiliary level) and the reliability uses the main
    prediction; the historical maps are resized onto the student's view so that position i is
    the same scene point in both (HCL multiplies the two views' maps position by position,
    which only roughly align); labels are made inside each step by the frozen source model
    (the same labels as HCL's offline pass, the model being frozen).

    Args:
        segmentor: Config of the mmseg segmentor (loaded from a source-only checkpoint).
        lambda_seg_aux: Weight of the auxiliary level's HCCD (HCL's ``lambda_seg`` 0.5).
        lambda_contrast: Weight of HCID (HCL: ``lambda_seg`` 0.5 as well).
        temperature, base_temperature: Of HCID (0.07, 0.07: ``Contrast_loss_his``).
        ema_momentum: Of G_ma (0.996).
        history_interval: Steps between resets of G_ma and G_source to G (300).
        embed_channels: Projection size (128, ``Proj_Head``).
        projector_channels: Hidden channels of the projection head (None: twice its input,
            as HCL's 1024 -> 2048).
        reliability_margin: HCL's 0.1 in clamp(1 - H + 0.1, 1 - 0.1, 1 + 0.1).
        class_balance, often_balance, max_class_weight, small_class_fraction: HCL's class
            weights (True, True, 7, 64 x 64 / (512 x 256) = 1/32).
        view_scale: Range of the student view's random scale (0.8, 1.2); None: no rescale.
        label_scales, label_flip: The pseudo-label ensemble (scales (1.0, 1.25), flips on).
        max_positions: Contrast at most this many random positions per frame (None: all; HCL's
            512 x 256 crops give 2048 at output stride 8). Caps the n x n similarity matrices.
        data_preprocessor, init_cfg: As :class:`BaseAdaptor`.
    """

    uses_aux_head = True

    def __init__(self, segmentor: dict, lambda_seg_aux: float = 0.5, lambda_contrast: float = 0.5,
                 temperature: float = 0.07, base_temperature: float = 0.07,
                 ema_momentum: float = 0.996, history_interval: int = 300, embed_channels: int = 128,
                 projector_channels: Optional[int] = None, reliability_margin: float = 0.1,
                 class_balance: bool = True, often_balance: bool = True,
                 max_class_weight: float = 7.0, small_class_fraction: float = 1 / 32,
                 view_scale: Optional[Tuple[float, float]] = (0.8, 1.2),
                 label_scales: Sequence[float] = (1.0, 1.25), label_flip: bool = True,
                 max_positions: Optional[int] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if history_interval < 1:
            raise ValueError(f'HCL: history_interval must be >= 1, got {history_interval}')
        self.lambda_seg_aux = lambda_seg_aux
        self.lambda_contrast = lambda_contrast
        self.temperature = temperature
        self.base_temperature = base_temperature
        self.ema_momentum = ema_momentum
        self.history_interval = history_interval
        self.reliability_margin = reliability_margin
        self.class_balance = class_balance
        self.often_balance = often_balance
        self.max_class_weight = max_class_weight
        self.small_class_fraction = small_class_fraction
        self.view_scale = view_scale
        self.label_scales = tuple(label_scales)
        self.label_flip = label_flip
        self.max_positions = max_positions
        in_channels = self.feature_channels()
        self.projector = ProjectionHead(in_channels, embed_channels,
                                        projector_channels or 2 * in_channels)
        # HCL's often_weight (an EMA over steps, starts at 1): checkpointed for exact resumes.
        self.register_buffer('often_weight', torch.ones(self.num_classes))
        self.add_copy('source', with_heads=False, eval_mode=True)
        # G_ma and G_source run in train mode in HCL's code (never set to eval).
        self.add_copy('ema', eval_mode=False)
        self.add_copy('historical', eval_mode=False)

    def trained_heads(self):
        return dict(projector=self.projector)

    # ------------------------------------------------------------------ the step
    def target_loss(self, target: Batch) -> Dict[str, Tensor]:
        step = int(self.step_count)
        if step > 0 and step % self.history_interval == 0:
            # "record historical model": G_ma and G_source take G's weights (trainer_hcl.py).
            self.reset_copy('ema')
            self.reset_copy('historical')
        self.ema_update_copy('ema', self.ema_momentum)
        frames = target['inputs']  # (N, T, 3, H, W)
        n, t = frames.shape[:2]
        with torch.no_grad():
            labels = self.pseudo_labels(frames)  # (N*T, H, W)
            ema = self.copy_network('ema')(frames)
            historical = self.copy_network('historical')(frames)
        view, view_size = self._student_view(frames)
        out = self.forward_features(view)
        view_labels = resize_labels(labels, view_size)
        class_weight = None
        if self.class_balance:
            class_weight, often = hcl_class_weights(
                view_labels, self.num_classes, self.often_weight, self.small_class_fraction,
                self.max_class_weight, self.often_balance)
            self.often_weight.copy_(often)
        losses = {}
        levels = [('logits', '', 1.0)]
        if 'aux_logits' in out:
            levels.append(('aux_logits', '_aux', self.lambda_seg_aux))
        for key, suffix, weight in levels:
            # HCCD: agreement of G_source and G_ma, on the student's view grid.
            consistency = torch.exp(-prediction_kl(ema[key].flatten(0, 1),
                                                   historical[key].flatten(0, 1)))
            consistency = resize(consistency[:, None], size=view_size, mode='bilinear',
                                 align_corners=False)[:, 0]
            losses[f'loss_seg{suffix}'] = weight * consistency_weighted_cross_entropy(
                out[key].flatten(0, 1), view_labels, consistency, class_weight, self.ignore_index)
        losses['loss_contrast'] = self.lambda_contrast * self._contrast(
            out['projector'].flatten(0, 1), view_labels, ema['projector'].flatten(0, 1),
            labels, ema['logits'].flatten(0, 1))
        return losses

    def _student_view(self, frames: Tensor) -> Tuple[Tensor, Tuple[int, int]]:
        """The frames rescaled by one random factor in ``view_scale`` (bilinear)."""
        h, w = frames.shape[-2:]
        if self.view_scale is None:
            return frames, (h, w)
        low, high = self.view_scale
        scale = low + (high - low) * torch.rand(()).item()
        size = (max(1, round(h * scale)), max(1, round(w * scale)))
        view = F.interpolate(frames.flatten(0, 1), size=size, mode='bilinear', align_corners=False)
        return view.unflatten(0, frames.shape[:2]), size

    @torch.no_grad()
    def pseudo_labels(self, frames: Tensor) -> Tensor:
        """Argmax of the frozen source model's softmax averaged over ``label_scales`` and flips
        ((N*T, H, W), no threshold), with 0.5 * aux + main scores when it has an auxiliary head
        (``generate_plabel_cityscapes_advent.py``)."""
        network = self.copy_network('source')
        h, w = frames.shape[-2:]
        total = 0
        for scale in self.label_scales:
            x = frames.flatten(0, 1)
            if scale != 1.0:
                x = F.interpolate(x, size=(round(h * scale), round(w * scale)), mode='bilinear',
                                  align_corners=False)
            for flip in ((False, True) if self.label_flip else (False,)):
                inputs = x.flip(-1) if flip else x
                out = network(inputs[:, None])
                scores = out['logits'][:, 0]
                if 'aux_logits' in out:
                    scores = 0.5 * out['aux_logits'][:, 0] + scores
                probs = scores.softmax(dim=1)
                probs = probs.flip(-1) if flip else probs
                total = total + resize(probs, size=(h, w), mode='bilinear', align_corners=False)
        return total.argmax(dim=1)

    def _contrast(self, queries: Tensor, query_labels: Tensor, keys: Tensor, key_labels: Tensor,
                  key_logits: Tensor) -> Tensor:
        """HCID on the student's feature grid: G_ma's embeddings, labels and reliability are
        resized onto it (bilinear, nearest, bilinear); embeddings re-normalised."""
        size = queries.shape[-2:]
        keys = F.normalize(resize(keys, size=size, mode='bilinear', align_corners=False), dim=1)
        entropy = self_information_map(key_logits.softmax(dim=1)).sum(dim=1, keepdim=True)
        entropy = resize(entropy, size=size, mode='bilinear', align_corners=False)[:, 0]
        margin = self.reliability_margin
        reliability = torch.clamp(1 - entropy + margin, min=1 - margin, max=1 + margin)
        flat = dict(q=queries.flatten(2).transpose(1, 2), k=keys.flatten(2).transpose(1, 2),
                    ql=resize_labels(query_labels, size).flatten(1),
                    kl=resize_labels(key_labels, size).flatten(1), r=reliability.flatten(1))
        if self.max_positions is not None and flat['ql'].shape[1] > self.max_positions:
            keep = torch.randperm(flat['ql'].shape[1], device=queries.device)[:self.max_positions]
            flat = {name: value[:, keep] for name, value in flat.items()}
        return historical_contrast_loss(flat['q'], flat['ql'], flat['k'], flat['kl'], flat['r'],
                                        self.temperature, self.base_temperature, self.ignore_index)

