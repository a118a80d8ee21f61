"""Category-aware alignment of DA-STC: class-mean vectors and a multi-bandwidth Gaussian MMD.

As the official code computes it (ZHE-SAPI/UDASS ``train_video_DAVSS_DSF_cd_ablation_{24,31}.py``:
``Class_Features.calculate_mean_vector``, ``update_objective_SingleVector``, ``guassian_kernel``,
``mmd_rbf``; research/peers_dastc_stpl.md section A.7 steps 1, 8-10):

- a class vector mu_k is the mean, over the pixels of class k, of a feature map (DA-STC: the
  fused class scores themselves); a pixel is of class k where the scores' argmax is k (and, on the
  source, the label is k too); a class with fewer than 5 such pixels, or whose mean sums to
  exactly 0, keeps a zero row, so each domain gives a (C, D) matrix;
- MMD^2 between the two matrices' rows as two sets of C samples (zero rows included) with the
  kernel ``k(a, b) = sum_{i=0..4} exp(-||a - b||^2 / (sigma * 2^(i - 2)))``, sigma the mean
  squared distance between distinct rows of both sets (no gradient through sigma).

docs/methods/da_stc.md, "Category-aware alignment".
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from uda_toolbox.registry import MODELS

#: ``Class_Features.calculate_mean_vector``: a class needs at least this many pixels.
MIN_CLASS_PIXELS = 5


def labels_on_grid(labels: Tensor, size) -> Tensor:
    """Labels (N, H, W) resized to ``size`` by nearest neighbour (the code's ``F.interpolate(...,
    mode='nearest')`` of the source label to the logit grid)."""
    if tuple(labels.shape[-2:]) == tuple(size):
        return labels
    return F.interpolate(labels[:, None].float(), size=tuple(size), mode='nearest')[:, 0].long()


def class_mean_vectors(features: Tensor, logits: Tensor, num_classes: int,
                       labels: Optional[Tensor] = None,
                       min_pixels: int = MIN_CLASS_PIXELS) -> Tensor:
    """Per-class mean feature vectors, zero rows for absent classes.

    Args:
        features: (N, D, h, w) the features averaged (DA-STC: the fused scores, D = C); the
            gradient flows through them.
        logits: (N, C, h, w) scores whose argmax assigns pixels to classes.
        num_classes: C, the number of rows.
        labels: None, or (N, h, w) labels on the same grid: a pixel counts for class k only where
            the label is k as well (ignore and other values count for no class).
        min_pixels: A class with fewer pixels gets a zero row.
    Returns:
        (C, D): row k the mean of ``features`` over class k's pixels of the whole batch (the code
        runs batch 1; with more samples their pixels are pooled), zero where the class has fewer
        than ``min_pixels`` pixels or its mean sums to exactly 0 (``update_objective_SingleVector``).
    """
    if features.shape[0] != logits.shape[0] or features.shape[-2:] != logits.shape[-2:]:
        raise ValueError(f'class_mean_vectors: features {tuple(features.shape)} and logits '
                         f'{tuple(logits.shape)} must share N, h and w')
    with torch.no_grad():
        member = F.one_hot(logits.argmax(dim=1), num_classes)  # (N, h, w, C)
        if labels is not None:
            if labels.shape != logits.shape[:1] + logits.shape[2:]:
                raise ValueError(f'class_mean_vectors: labels {tuple(labels.shape)} must be on the '
                                 f'logit grid {tuple(logits.shape[2:])}')
            valid = (labels >= 0) & (labels < num_classes)
            member = member * (F.one_hot(labels.clamp(0, num_classes - 1), num_classes)
                               * valid[..., None])
        member = member.to(features.dtype)
        counts = member.sum(dim=(0, 1, 2))  # (C,)
    sums = torch.einsum('nhwk,ndhw->kd', member, features)
    vectors = sums / counts.clamp(min=1)[:, None]
    keep = (counts >= min_pixels) & (vectors.detach().sum(dim=1) != 0)
    return vectors * keep[:, None].to(vectors.dtype)


def multi_bandwidth_gaussian_kernel(source: Tensor, target: Tensor, kernel_mul: float = 2.0,
                                    kernel_num: int = 5, fix_sigma: Optional[float] = None
                                    ) -> Tensor:
    """Kernel matrix over the rows of ``[source ; target]`` (``guassian_kernel`` of the code).

    ``K = sum_{i=0}^{n-1} exp(-D / (sigma * m^(i - n // 2)))`` with D the squared Euclidean
    distances, m = ``kernel_mul``, n = ``kernel_num`` and sigma = ``fix_sigma`` or the mean of D
    over the ordered pairs of distinct rows (``sum(D) / (R^2 - R)``, detached).

    Returns:
        (R, R) with R = rows of source + rows of target.
    """
    total = torch.cat([source, target], dim=0)
    rows = total.shape[0]
    distances = (total[None] - total[:, None]).pow(2).sum(dim=2)
    sigma = (torch.as_tensor(fix_sigma, dtype=total.dtype, device=total.device) if fix_sigma
             else distances.detach().sum() / (rows * rows - rows))
    base = sigma / kernel_mul ** (kernel_num // 2)
    return sum(torch.exp(-distances / (base * kernel_mul ** i)) for i in range(kernel_num))


def mmd_rbf(source: Tensor, target: Tensor, kernel_mul: float = 2.0, kernel_num: int = 5,
            fix_sigma: Optional[float] = None) -> Tensor:
    """MMD^2 estimate ``mean(K_ss + K_tt - K_st - K_ts)`` of two equally sized sample sets (the
    code's ``mmd_rbf``; the blocks are averaged together, diagonals included).

    Args:
        source: (R, D) samples (DA-STC: C class vectors, zero rows included).
        target: (R, D) samples.
    Returns:
        Scalar. 0 (attached to the graph) when every row of both sets is the same vector: sigma
        would be 0 and the code's kernel NaN.
    """
    if source.shape != target.shape:
        raise ValueError(f'mmd_rbf compares equally sized sets, got {tuple(source.shape)} and '
                         f'{tuple(target.shape)}')
    total = torch.cat([source, target], dim=0)
    if fix_sigma is None and bool((total == total[:1]).all()):
        return total.sum() * 0.0
    kernels = multi_bandwidth_gaussian_kernel(source, target, kernel_mul, kernel_num, fix_sigma)
    n = source.shape[0]
    xx, yy = kernels[:n, :n], kernels[n:, n:]
    xy, yx = kernels[:n, n:], kernels[n:, :n]
    return (xx + yy - xy - yx).mean()


@MODELS.register_module()
class ClassMeanMMDLoss(nn.Module):
    """DA-STC's category-aware alignment term: :func:`mmd_rbf` between the class-mean matrices of
    two domains, times ``loss_weight`` (0.01 in the code's total loss).

    Args:
        loss_weight: Weight of the term.
        kernel_mul: Bandwidth ratio between consecutive kernels (2).
        kernel_num: Number of Gaussian kernels (5).
        fix_sigma: A fixed base bandwidth; None: the data-driven one of the code.
    """

    def __init__(self, loss_weight: float = 0.01, kernel_mul: float = 2.0, kernel_num: int = 5,
                 fix_sigma: Optional[float] = None):
        super().__init__()
        self.loss_weight = loss_weight
        self.kernel_mul = kernel_mul
        self.kernel_num = kernel_num
        self.fix_sigma = fix_sigma

    def forward(self, source_vectors: Tensor, target_vectors: Tensor) -> Tensor:
        return self.loss_weight * mmd_rbf(source_vectors, target_vectors, self.kernel_mul,
                                          self.kernel_num, self.fix_sigma)
