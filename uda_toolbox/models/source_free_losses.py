"""Loss terms of the source-free adaptors (SHOT, URMA, HCL, STPL), each a pure function on tensors.

Equations and the official code each term follows are cited per function; the method pages
(docs/methods/{shot,urma,hcl,stpl}.md) write them out.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


# ----------------------------------------------------------------- information maximisation
def marginal_entropy(probs: Tensor, eps: float = 0.0) -> Tensor:
    """H(p_bar) in nats, p_bar the mean class distribution over every position of ``probs``.

    Args:
        probs: (N, C, ...) class probabilities, classes on dim 1.
        eps: Added inside the log (SHOT: 1e-5); 0 uses x log x = 0 at x = 0.
    """
    mean = probs.transpose(0, 1).flatten(1).mean(dim=1)
    return -(mean * torch.log(mean + eps)).sum() if eps > 0 else -torch.special.xlogy(mean, mean).sum()


def information_maximization(probs: Tensor, eps: float = 1e-5) -> Tuple[Tensor, Tensor]:
    """SHOT's information maximisation terms (Liang et al., ICML 2020, Eq. 2-3; official code
    ``object/image_target.py`` and ``loss.Entropy``), per pixel for segmentation.

    Returns:
        (mean over positions of -sum_c p_c log(p_c + eps), H(p_bar) with the same eps). SHOT
        minimises ``entropy - H(p_bar)`` (both times ``ent_par``).
    """
    entropy = -(probs * torch.log(probs + eps)).sum(dim=1).mean()
    return entropy, marginal_entropy(probs, eps)


def cluster_pseudo_labels(features: Tensor, probs: Tensor, threshold: int = 0,
                          iterations: int = 2) -> Tensor:
    """SHOT's self-supervised pseudo labels (Liang et al., ICML 2020, Eq. 4-6; official code
    ``obtain_label`` in ``object/image_target.py``, ``distance='cosine'``).

    Features get a constant 1 appended and are L2-normalised. Class centroids are the
    probability-weighted means of the features; each position takes its nearest centroid by
    cosine distance, among the classes predicted (argmax) at more than ``threshold`` positions.
    The next iteration recomputes the centroids from those hard labels (SHOT: 2 iterations in
    all, the first with soft weights).

    Args:
        features: (M, D) features of M positions.
        probs: (M, C) their class probabilities.
        threshold: A class is a candidate if more than this many positions carry it.
        iterations: Centroid/assignment rounds.
    Returns:
        (M,) int64 labels.
    """
    num_classes = probs.shape[1]
    feats = torch.cat([features, features.new_ones(features.shape[0], 1)], dim=1)
    feats = F.normalize(feats, dim=1)
    weights = probs
    predict = probs.argmax(dim=1)
    for _ in range(iterations):
        centroids = weights.t() @ feats / (1e-8 + weights.sum(dim=0)[:, None])
        counts = torch.bincount(predict, minlength=num_classes)
        candidates = torch.nonzero(counts > threshold).flatten()
        # cosine distance = 1 - cos; the nearest centroid has the largest cosine
        cosine = feats @ F.normalize(centroids[candidates], dim=1).t()
        predict = candidates[cosine.argmax(dim=1)]
        weights = F.one_hot(predict, num_classes).to(feats.dtype)
    return predict


# ----------------------------------------------------------------- URMA
def softmax_mse(logits: Tensor, target_logits: Tensor) -> Tensor:
    """Mean squared difference of two softmax maps, the target detached (URMA's consistency of
    its dropout decoders with the main prediction; official code ``softmax_mse_loss`` with
    ``use_softmax=True`` in ``utils/loss.py``, borrowed from CCT)."""
    return F.mse_loss(logits.softmax(dim=1), target_logits.detach().softmax(dim=1))


# ----------------------------------------------------------------- HCL
def prediction_kl(logits_p: Tensor, logits_q: Tensor) -> Tensor:
    """Per-position KL(q || p) = sum_c q_c (log q_c - log p_c) of two logit maps (N, C, ...),
    as ``nn.KLDivLoss(reduction='none')(log_softmax(p), softmax(q)).sum(1)`` in HCL's code."""
    log_p = logits_p.log_softmax(dim=1)
    q = logits_q.softmax(dim=1)
    return (torch.special.xlogy(q, q) - q * log_p).sum(dim=1)


def hcl_class_weights(labels: Tensor, num_classes: int, often_weight: Tensor,
                      small_fraction: float = 1 / 32, max_value: float = 7.0,
                      often_balance: bool = True, momentum: float = 0.9) -> Tuple[Tensor, Tensor]:
    """HCL's per-batch class weights (``update_class_criterion`` in ``hcl_target/trainer_hcl.py``).

    A class with fewer labelled pixels than ``small_fraction`` of the batch's pixels (HCL:
    64 x 64 of each 512 x 256 crop, 1/32) weighs ``max_value`` (7), others 1. With
    ``often_balance`` a class absent from the batch gets ``max_value`` in an exponential moving
    average (``often_weight <- momentum * often_weight + (1 - momentum) * often``); the weight
    is the product of the two.

    Returns:
        (class weights (C,), the updated often_weight (C,)).
    """
    counts = torch.bincount(labels[labels < num_classes].flatten(), minlength=num_classes).float()
    weight = torch.ones(num_classes, device=labels.device)
    weight[counts < small_fraction * labels.numel()] = max_value
    often = torch.ones(num_classes, device=labels.device)
    if often_balance:
        often[counts == 0] = max_value
    often_weight = momentum * often_weight + (1 - momentum) * often
    return weight * often_weight, often_weight


def consistency_weighted_cross_entropy(logits: Tensor, labels: Tensor, weight_map: Tensor,
                                       class_weight: Optional[Tensor] = None,
                                       ignore_index: int = 255) -> Tensor:
    """HCL's historical contrastive category discrimination (HCCD): pseudo-label cross-entropy
    re-weighted per pixel by a historical-consistency map (``update_consistency_his`` in
    ``hcl_target/trainer_hcl.py``).

    ``mean over every pixel of weight_map * w_y * CE(logits, y)``, ignored pixels counting 0
    (the code's ``torch.mean`` over all pixels).

    Args:
        logits: (N, C, H, W).
        labels: (N, H, W) pseudo labels.
        weight_map: (N, H, W), HCL: exp(-KL(p_historical || p_ema)).
        class_weight: (C,) or None.
    """
    per_pixel = F.cross_entropy(logits, labels, weight=class_weight, ignore_index=ignore_index,
                                reduction='none')
    return (per_pixel * weight_map).mean()


def historical_contrast_loss(queries: Tensor, query_labels: Tensor, keys: Tensor, key_labels: Tensor,
                             reliability: Tensor, temperature: float = 0.07,
                             base_temperature: float = 0.07, ignore_index: int = 255) -> Tensor:
    """HCL's historical contrast of current-model queries against historical-model keys
    (``Contrast_loss_his`` in ``hcl_target/utils/loss.py``, ``contrast_mode='one'``).

    For each image b, query i and key j (the same n positions in both):

        s_ij = q_i . k_j / tau,   l_ij = s_ij - max_j s_ij
        log_prob_ij = l_ij - log(sum_{j != i} r_j exp(l_ij) + 1e-20) + log(r_j + 1e-20)
        L_i = -(tau / tau_base) * (1 / n) * sum_{j != i, y_j = y_i} log_prob_ij

    and the loss is the mean of L_i over images and queries. As in the code the sum over
    positives is divided by n (every key), not by the number of positives, and key j = i (the
    same position in the historical map) is excluded from positives and denominator. Keys with
    ``ignore_index`` labels are never positives (HCL's labels have none).

    Args:
        queries: (B, n, D) L2-normalised embeddings of the current model.
        query_labels: (B, n) their pseudo labels.
        keys: (B, n, D) L2-normalised embeddings of the historical model.
        key_labels: (B, n) their pseudo labels.
        reliability: (B, n) weight r_j of each key (HCL: clamp(1 - H_norm(p_ema) + 0.1, 0.9, 1.1)).
    """
    n = queries.shape[1]
    logits = queries @ keys.transpose(1, 2) / temperature
    logits = logits - logits.max(dim=2, keepdim=True)[0].detach()
    not_self = 1.0 - torch.eye(n, dtype=logits.dtype, device=logits.device)
    same = (query_labels[:, :, None] == key_labels[:, None, :]) & (key_labels[:, None, :] != ignore_index)
    positives = same.to(logits.dtype) * not_self
    rel = reliability[:, None, :].to(logits.dtype)
    denominator = (logits.exp() * not_self * rel).sum(dim=2, keepdim=True)
    log_prob = logits - torch.log(denominator + 1e-20) + torch.log(rel + 1e-20)
    mean_log_prob_pos = (positives * log_prob).sum(dim=2) / n
    return -(temperature / base_temperature) * mean_log_prob_pos.mean()


# ----------------------------------------------------------------- pixel contrast (STPL, ours)
def pixel_contrast_loss(anchors: Tensor, anchor_labels: Tensor, keys: Tensor, key_labels: Tensor,
                        temperature: float = 0.1, anchor_index: Optional[Tensor] = None,
                        reduction: str = 'mean') -> Tensor:
    """Supervised pixel contrast of anchors against a key set, the positive-vs-negatives form of
    Wang et al. (ICCV 2021, Eq. 3; ContrastiveSeg ``PixelContrastLoss._contrastive``):

        L_i = -(1 / |P_i|) sum_{p in P_i} log( exp(a_i.k_p / tau)
                                               / (exp(a_i.k_p / tau) + sum_{n in N_i} exp(a_i.k_n / tau)) )

    with P_i the keys of the anchor's label (the anchor itself excluded) and N_i the keys of
    any other label. Anchors without a positive contribute nothing.

    Args:
        anchors: (A, D) L2-normalised anchor embeddings.
        anchor_labels: (A,) their labels.
        keys: (K, D) L2-normalised key embeddings (the spatio-temporal set).
        key_labels: (K,) their labels (no ignore label: filter first).
        temperature: tau.
        anchor_index: (A,) position of each anchor in ``keys`` (excluded from its positives), or
            -1 / None where the anchor is not a key.
        reduction: ``'mean'`` over anchors with positives, or ``'none'`` (A,) with 0 for anchors
            without positives.
    """
    logits = anchors @ keys.t() / temperature
    # exp of shifted logits: each log-ratio below is unchanged by a per-anchor shift
    logits = logits - logits.max(dim=1, keepdim=True)[0].detach()
    same = anchor_labels[:, None] == key_labels[None, :]
    positives = same.clone()
    if anchor_index is not None:
        rows = torch.nonzero(anchor_index >= 0).flatten()
        positives[rows, anchor_index[rows]] = False
    exp = logits.exp()
    negative_sum = (exp * (~same)).sum(dim=1, keepdim=True)
    log_prob = logits - torch.log(exp + negative_sum)
    num_pos = positives.sum(dim=1)
    per_anchor = -(log_prob * positives).sum(dim=1) / num_pos.clamp(min=1)
    if reduction == 'none':
        return per_anchor
    valid = num_pos > 0
    if not valid.any():
        return anchors.sum() * 0.0
    return per_anchor[valid].mean()

