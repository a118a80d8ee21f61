"""URMA (Sivaprasad & Fleuret, CVPR 2021, "Uncertainty Reduction for Model Adaptation in Semantic
Segmentation"). Official code: idiap/model-uncertainty-for-adaptation. docs/methods/urma.md"""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmseg.models.utils import resize
from torch import Tensor

from uda_toolbox.adaptors.base import Batch
from uda_toolbox.adaptors.source_free import SourceFreeAdaptor
from uda_toolbox.models.heads import FeatureClassifier
from uda_toolbox.models.losses import entropy_loss
from uda_toolbox.models.source_free_losses import marginal_entropy, softmax_mse
from uda_toolbox.registry import MODELS

LOG2_E = 1.4426950408889634  # 1 / ln 2: nats -> bits (the official diversity term's 1.442695)


class NoisyDecoders(nn.Module):
    """URMA's auxiliary decoders (official ``network/decoders.py``, ``NoisyDecoders``): each one
    is Dropout2d(p) on the classifier's input features followed by a freshly initialised
    classifier of the main one's form (DeepLabv2's dilated ASPP branches there)."""

    def __init__(self, head: nn.Module, num_decoders: int = 4, dropout: float = 0.5):
        super().__init__()
        self.decoders = nn.ModuleList(
            nn.Sequential(nn.Dropout2d(p=dropout), FeatureClassifier(head))
            for _ in range(num_decoders))

    def forward(self, features: Tensor) -> Tensor:
        """(M, D, h, w) -> (M, K, C, h, w), one score map per decoder."""
        return torch.stack([decoder(features) for decoder in self.decoders], dim=1)


@MODELS.register_module()
class URMA(SourceFreeAdaptor):
    """Uncertainty-reduced model adaptation: self-training on class-balanced pseudo labels plus
    two uncertainty reducers (official ``utils/loss.py``, ``self_training_regularized_infomax``
    and ``..._cct``; the README's run: ``--lambda-ce 1 --lambda-ent 1``, ``--unc-noise``,
    ``--lambda-unc`` 0.1, ``--freeze-classifier``):

        L = lambda_ce * CE(P, y^) + lambda_ent * H_norm(P) + lambda_div * sum_c p_bar_c log2 p_bar_c
            + lambda_unc * sum_k MSE(softmax(D_k(dropout(f))), softmax(P).detach())

    H_norm the per-pixel entropy in bits divided by log2 C, averaged over pixels; p_bar the mean
    prediction (the diversity term, 0 in the official runs: "Dont use this. Hurts perf"); D_k
    the K noisy decoders (:class:`NoisyDecoders`, 4 with dropout 0.5). The pseudo labels y^ are
    CBST's class-balanced labels of the source model (one round, p = 0.2, the official
    ``--init-tgt-port``; ``ClassBalancedPolicy``), made by the ``pseudo_labels`` rounds of the
    config from target frames only and read as the batch's ``gt_seg``.

    Args:
        segmentor: Config of the mmseg segmentor (loaded from a source-only checkpoint).
        lambda_ce: Weight of the pseudo-label cross-entropy (1).
        lambda_ent: Weight of the entropy (1).
        lambda_div: Weight of the diversity term (0).
        lambda_unc: Weight of the decoders' consistency (0.1, the official default).
        num_decoders: K (4).
        dropout: Dropout2d probability of the decoders (0.5).
        freeze_classifier: Keep the main classifier fixed. The README's command asks for it
            (``--freeze-classifier``), but in the released code the flag only skips a learning
            rate update, so the classifier still trains at 10x lr; we freeze it (its stated
            intent). False reproduces the released code's behaviour (up to the lr multiplier).
        data_preprocessor, init_cfg: As :class:`BaseAdaptor`.
    """

    def __init__(self, segmentor: dict, lambda_ce: float = 1.0, lambda_ent: float = 1.0,
                 lambda_div: float = 0.0, lambda_unc: float = 0.1, num_decoders: int = 4,
                 dropout: float = 0.5, freeze_classifier: bool = True,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.lambda_ce = lambda_ce
        self.lambda_ent = lambda_ent
        self.lambda_div = lambda_div
        self.lambda_unc = lambda_unc
        self.decoders = NoisyDecoders(self.segmentor.decode_head, num_decoders, dropout)
        if freeze_classifier:
            self.freeze_classifier()

    def trained_heads(self) -> Dict[str, nn.Module]:
        return dict(decoders=self.decoders)

    def target_loss(self, target: Batch) -> Dict[str, Tensor]:
        out = self.forward_features(target['inputs'])
        logits = out['logits'].flatten(0, 1)  # (M, C, H, W)
        labels = target['gt_seg'].flatten(0, 1)
        probs = logits.softmax(dim=1)
        losses = dict(loss_seg_tgt=self.lambda_ce * self.seg_loss(out['logits'], target['gt_seg']),
                      loss_ent=self.lambda_ent * entropy_loss(probs))
        if self.lambda_div > 0:
            losses['loss_div'] = -self.lambda_div * LOG2_E * marginal_entropy(probs)
        noisy = out['decoders'].flatten(0, 1)  # (M, K, C, h, w)
        consistency = sum(
            softmax_mse(resize(noisy[:, k], size=logits.shape[-2:], mode='bilinear',
                               align_corners=self.segmentor.align_corners), logits)
            for k in range(noisy.shape[1]))
        losses['loss_unc'] = self.lambda_unc * consistency
        losses['tgt_labelled'] = (labels != self.ignore_index).float().mean()
        return losses
