"""Pseudo labels made inside the training step by an online teacher (registry ``PSEUDO_LABEL_FILTERS``).

The offline rounds (``policies.py``) write label files between rounds; online teachers (DACS,
DAFormer, MIC's EMA teacher; later TPS, DA-STC, STPL) predict the target batch in every step and
turn the prediction into labels and per-pixel weights here. A *filter* is a function

    filter(probs, batch) -> (labels, weights)

of the teacher's class probabilities ``probs`` (..., C, H, W) (for a clip batch (N, T, C, H, W))
and the target batch (``inputs``, ``meta`` and, where loaded, ``flows``), returning int64 labels
(..., H, W) (``IGNORE_INDEX`` where the filter drops a pixel) and float weights (..., H, W).
:func:`online_pseudo_labels` chains several: a pixel is ignored when any filter ignores it, the
weights multiply. A video filter (warp consistency between frames t and t - 1 by the batch's
flow) is one more class here with the same call. Equations and sources: docs/pseudo_labels.md.
"""
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor

from uda_toolbox.registry import PSEUDO_LABEL_FILTERS
from uda_toolbox.utils.classes import IGNORE_INDEX

#: ``filter(probs, batch) -> (labels, weights)``, see the module docstring.
PseudoLabelFilter = Callable[[Tensor, Dict[str, Any]], Tuple[Tensor, Tensor]]


def confident_share(probs: Tensor, threshold: float) -> Tensor:
    """The share of pixels whose top class probability is at least ``threshold`` (a 0-dim tensor).

    DACS / DAFormer's pseudo-label quality q (DAFormer Sec. 3.1): one number for the whole batch,
    with ``>=`` as in their code (``pseudo_prob.ge(0.968)``).
    """
    return (probs.max(dim=-3).values >= threshold).float().mean()


@PSEUDO_LABEL_FILTERS.register_module()
class ConfidenceWeight:
    """Every pixel labelled with the teacher's top class, all weighted by the confident share q.

    DACS (Tranheden et al., WACV 2021, Sec. 3) and DAFormer (Sec. 3.1): q = share of the batch's
    pixels with max probability >= ``threshold``; 0.968 in both codes.
    """

    def __init__(self, threshold: float = 0.968):
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f'ConfidenceWeight: threshold must be in [0, 1], got {threshold}')
        self.threshold = threshold

    def __call__(self, probs: Tensor, batch: Optional[Dict[str, Any]] = None
                 ) -> Tuple[Tensor, Tensor]:
        labels = probs.argmax(dim=-3)
        weights = confident_share(probs, self.threshold).expand(labels.shape).to(probs.dtype)
        return labels, weights


@PSEUDO_LABEL_FILTERS.register_module()
class ConfidenceThreshold:
    """Pixels whose top class probability is below ``threshold`` are ignored; weights 1."""

    def __init__(self, threshold: float):
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f'ConfidenceThreshold: threshold must be in [0, 1], got {threshold}')
        self.threshold = threshold

    def __call__(self, probs: Tensor, batch: Optional[Dict[str, Any]] = None
                 ) -> Tuple[Tensor, Tensor]:
        confidence, labels = probs.max(dim=-3)
        labels = labels.masked_fill(confidence < self.threshold, IGNORE_INDEX)
        return labels, torch.ones_like(confidence)


@PSEUDO_LABEL_FILTERS.register_module()
class BorderWeight:
    """Weight 0 on the ``top`` and ``bottom`` rows of every frame (DAFormer's "pseudo-label crop").

    DAFormer's code (``pseudo_weight_ignore_top=15``, ``pseudo_weight_ignore_bottom=120`` for
    Cityscapes at 512 x 1024): rows with rectification artefacts and the ego car's hood, where
    pseudo labels drift, get no pseudo-label loss.
    """

    def __init__(self, top: int = 0, bottom: int = 0):
        if top < 0 or bottom < 0:
            raise ValueError(f'BorderWeight: top and bottom must be >= 0, got {top}, {bottom}')
        self.top, self.bottom = int(top), int(bottom)

    def __call__(self, probs: Tensor, batch: Optional[Dict[str, Any]] = None
                 ) -> Tuple[Tensor, Tensor]:
        labels = probs.argmax(dim=-3)
        weights = torch.ones_like(labels, dtype=probs.dtype)
        if self.top:
            weights[..., :self.top, :] = 0
        if self.bottom:
            weights[..., weights.shape[-2] - self.bottom:, :] = 0
        return labels, weights


def build_filters(cfgs: Sequence[Any]) -> list:
    """Filters from configs (dicts with ``type``) or callables, in order."""
    return [PSEUDO_LABEL_FILTERS.build(dict(cfg)) if isinstance(cfg, dict) else cfg
            for cfg in cfgs]


def online_pseudo_labels(probs: Tensor, batch: Optional[Dict[str, Any]],
                         filters: Sequence[PseudoLabelFilter],
                         ignore_index: int = IGNORE_INDEX) -> Tuple[Tensor, Tensor]:
    """Labels and weights of a teacher's prediction through a chain of filters.

    Starts from the top class of every pixel with weight 1; a pixel is ignored when any filter
    ignores it (label ``ignore_index``) and the filters' weights multiply. The labels of the
    first filter are kept elsewhere, so a filter that relabels pixels (rather than dropping or
    weighting them) goes first.

    Args:
        probs: (..., C, H, W) teacher probabilities (no gradient).
        batch: The target batch the filters may read (``inputs``, ``meta``, ``flows``...).
        filters: The chain (see :data:`PseudoLabelFilter`).
        ignore_index: The ignore label.
    Returns:
        ``(labels, weights)``: (..., H, W) int64 and float.
    """
    labels = probs.argmax(dim=-3)
    weights = torch.ones_like(labels, dtype=probs.dtype)
    for position, label_filter in enumerate(filters):
        filtered, filter_weights = label_filter(probs, batch)
        if position == 0:
            labels = filtered
        else:
            labels = labels.masked_fill(filtered == ignore_index, ignore_index)
        weights = weights * filter_weights
    return labels, weights
