"""SHOT (Liang et al., ICML 2020), source hypothesis transfer, per pixel: the source-free baseline
(information maximisation + self-supervised cluster pseudo labels). docs/methods/shot.md"""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from uda_toolbox.adaptors.base import Batch
from uda_toolbox.adaptors.source_free import SourceFreeAdaptor, resize_labels
from uda_toolbox.models.source_free_losses import cluster_pseudo_labels, information_maximization
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class SHOT(SourceFreeAdaptor):
    """SHOT for segmentation: the source classifier (the hypothesis) stays fixed and the feature
    extractor is trained on target clips with (SHOT Eq. 2-6, official ``object/image_target.py``)

        L = lambda_ent * (mean_pixels H(p) - H(p_bar)) + lambda_pseudo * CE(P, y^)

    per pixel: H(p) the entropy of each pixel's prediction, H(p_bar) the entropy of the mean
    prediction over every pixel of the batch (the diversity term, SHOT's ``gent``), y^ the
    self-supervised pseudo labels of :func:`cluster_pseudo_labels` (class centroids of the
    classifier's input features weighted by the predictions, nearest centroid by cosine
    distance, two rounds).

    Our reading for segmentation (SHOT is a classification method): the positions are the
    pixels of the classifier's feature map; the pseudo labels are computed inside every step
    from that step's batch (SHOT recomputes them over the whole target set once per epoch,
    millions of pixels per frame here) and upsampled (nearest) to the frame for the
    cross-entropy, over every frame of the clip.

    Args:
        segmentor: Config of the mmseg segmentor (loaded from a source-only checkpoint).
        lambda_ent: SHOT's ``ent_par`` (1.0), weight of entropy and diversity.
        lambda_div: Weight of the diversity term relative to the entropy (1.0: SHOT's ``gent``
            on; 0 switches it off).
        lambda_pseudo: SHOT's ``cls_par`` (0.3), weight of the pseudo-label cross-entropy.
        eps: SHOT's ``epsilon`` inside the logs (1e-5).
        cluster_threshold: SHOT's ``threshold`` (0): a class is a centroid candidate when more
            positions than this are predicted as it.
        cluster_iterations: Centroid rounds (SHOT: 2, soft then hard).
        freeze_classifier: Keep the head's classifier fixed (SHOT: netC frozen).
        data_preprocessor, init_cfg: As :class:`BaseAdaptor`.
    """

    def __init__(self, segmentor: dict, lambda_ent: float = 1.0, lambda_div: float = 1.0,
                 lambda_pseudo: float = 0.3, eps: float = 1e-5, cluster_threshold: int = 0,
                 cluster_iterations: int = 2, freeze_classifier: bool = True,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.lambda_ent = lambda_ent
        self.lambda_div = lambda_div
        self.lambda_pseudo = lambda_pseudo
        self.eps = eps
        self.cluster_threshold = cluster_threshold
        self.cluster_iterations = cluster_iterations
        if freeze_classifier:
            self.freeze_classifier()

    def target_loss(self, target: Batch) -> Dict[str, Tensor]:
        out = self.forward_features(target['inputs'])
        logits = out['logits'].flatten(0, 1)  # (M, C, H, W)
        losses = {}
        entropy, diversity = information_maximization(logits.softmax(dim=1), self.eps)
        losses['loss_ent'] = self.lambda_ent * entropy
        if self.lambda_div > 0:
            losses['loss_div'] = -self.lambda_ent * self.lambda_div * diversity
        if self.lambda_pseudo > 0:
            labels = self.pseudo_labels(out['features'].flatten(0, 1),
                                        out['head_logits'].flatten(0, 1), logits.shape[-2:])
            losses['loss_pseudo'] = self.lambda_pseudo * F.cross_entropy(logits, labels)
        return losses

    @torch.no_grad()
    def pseudo_labels(self, features: Tensor, head_logits: Tensor, size) -> Tensor:
        """Cluster labels of (M, D, h, w) features and (M, C, h, w) scores, upsampled (nearest)
        to ``size``: (M, H, W) int64."""
        m, d, h, w = features.shape
        flat_features = features.permute(0, 2, 3, 1).reshape(-1, d).float()
        flat_probs = head_logits.softmax(dim=1).permute(0, 2, 3, 1).reshape(-1, self.num_classes)
        labels = cluster_pseudo_labels(flat_features, flat_probs.float(), self.cluster_threshold,
                                       self.cluster_iterations).view(m, h, w)
        return resize_labels(labels, size)
