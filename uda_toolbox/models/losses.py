"""Loss terms shared by the adaptors, each a small pure function on tensors."""
import math
from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor


def masked_cross_entropy(logits: Tensor, labels: Tensor, ignore_index: int = 255) -> Tensor:
    """Pixel-wise cross-entropy averaged over labelled pixels (Shin et al. (2021) Eq. 3 / Eq. 5).

    Args:
        logits: (N, C, H, W) class scores.
        labels: (N, H, W) int64 class ids, ``ignore_index`` where unlabelled.
    Returns:
        Scalar loss; 0 (still attached to the graph) when no pixel is labelled, so a
        batch of unannotated frames neither produces NaN nor skips the backward pass.
    """
    per_pixel = F.cross_entropy(logits, labels, ignore_index=ignore_index, reduction='none')
    num_labelled = (labels != ignore_index).sum()
    return per_pixel.sum() / num_labelled.clamp(min=1).to(per_pixel.dtype)



# ----------------------------------------------------------------- adversarial (GAN) losses
GAN_TYPES = ('vanilla', 'lsgan')


def gan_loss(logits: Tensor, label: float, gan_type: str = 'vanilla') -> Tensor:
    """Discriminator output scored against a constant domain label, averaged over its map.

    Args:
        logits: Raw discriminator output of any shape.
        label: The domain label every element should take (0. source, 1. target in the
            adaptors' convention, as AdaptSegNet's and ADVENT's code).
        gan_type: ``'vanilla'``: binary cross-entropy on the logits (Shin et al. (2021) Eq. 1 / Eq. 8);
            ``'lsgan'``: least squares on the raw output (AdaptSegNet's ``--gan LS``).
    Returns:
        Scalar loss.
    """
    target = torch.full_like(logits, float(label))
    if gan_type == 'vanilla':
        return F.binary_cross_entropy_with_logits(logits, target)
    if gan_type == 'lsgan':
        return F.mse_loss(logits, target)
    raise ValueError(f'gan_type must be one of {GAN_TYPES}, got {gan_type!r} '
                     '(model.gan_type in the config)')


# ----------------------------------------------------------------- entropy (ADVENT)
def self_information_map(probs: Tensor, eps: float = 1e-30) -> Tensor:
    """ADVENT's weighted self-information map, -p * log2(p + eps) / log2(C).

    Args:
        probs: (N, C, ...) class probabilities, classes on dim 1.
        eps: Keeps log2 finite where p = 0 (1e-30 as in ADVENT's code).
    Returns:
        Same shape as ``probs``; summed over classes it is the entropy normalised to [0, 1].
    """
    num_classes = probs.shape[1]
    if num_classes < 2:
        raise ValueError(f'self_information_map needs at least 2 classes on dim 1, got {probs.shape}')
    return -probs * torch.log2(probs + eps) / math.log2(num_classes)


def entropy_loss(probs: Tensor) -> Tensor:
    """MinEnt, ADVENT's direct entropy minimisation: mean over pixels of the normalised entropy.

    Args:
        probs: (N, C, ...) class probabilities, classes on dim 1.
    Returns:
        Scalar in [0, 1]: the sum over classes of :func:`self_information_map`, averaged
        over every other position.
    """
    return self_information_map(probs).sum(dim=1).mean()


# ----------------------------------------------------------------- tube matching (VAT)
def tube_dice_loss(probs: Tensor, labels: Tensor, ignore_index: int = 255,
                   smooth: float = 0.0) -> Tensor:
    """VAT's tube matching loss (Shin et al. (2021) Eq. 6-7): sum over classes of 1 - Dice, where the
    Dice of class k pools every pixel of the clip's frames (the "tube" of class k).

    Dice(p, q) = (2 sum(pq) + smooth) / (sum p^2 + sum q^2 + smooth), with q the one-hot
    ground truth; pixels labelled ``ignore_index`` count in neither sum. ``smooth = 0`` (the
    default) is Eq. 7 exactly: a class absent from a clip's labels has Dice 0 (a constant 1 in the
    sum, with no gradient) as soon as it is predicted anywhere, and the ratio is 0 / 0 only when
    the clip has no labelled pixel at all. Such a clip has no labels to match and is left out:
    the loss averages the clips with at least one labelled pixel (0, still attached to the graph,
    when none has). ``smooth > 0`` is the additive smoothing of common Dice implementations (not
    in the paper).

    Args:
        probs: (N, T, C, H, W) softmax maps of the clip's frames.
        labels: (N, T, H, W) int64 class ids.
        ignore_index: Unlabelled value.
        smooth: Additive smoothing of numerator and denominator (0: Eq. 7).
    Returns:
        Scalar: Eq. 6 per clip, averaged over the clips that have labels.
    """
    if probs.dim() != 5 or labels.shape != probs.shape[:2] + probs.shape[3:]:
        raise ValueError('tube_dice_loss takes probs (N, T, C, H, W) and labels (N, T, H, W), '
                         f'got {tuple(probs.shape)} and {tuple(labels.shape)}')
    if smooth < 0:
        raise ValueError(f'tube_dice_loss: smooth must be >= 0, got {smooth}')
    num_classes = probs.shape[2]
    valid = (labels != ignore_index).unsqueeze(2).to(probs.dtype)  # (N, T, 1, H, W)
    one_hot = F.one_hot(torch.where(valid[:, :, 0] > 0, labels, 0), num_classes)
    one_hot = one_hot.permute(0, 1, 4, 2, 3).to(probs.dtype) * valid  # (N, T, C, H, W)
    probs = probs * valid
    dims = (1, 3, 4)  # the tube: time and space of each clip, per class
    intersection = (probs * one_hot).sum(dims)
    denominator = (probs * probs).sum(dims) + (one_hot * one_hot).sum(dims)
    denominator = denominator + smooth
    # The guard: 0 / 0 (no labelled pixel in the clip, or a class whose probability underflows
    # to 0 on every labelled pixel and which is absent from the labels) counts as agreement,
    # Dice 1; the safe denominator keeps the unused branch's gradient finite.
    defined = denominator > 0
    safe = torch.where(defined, denominator, torch.ones_like(denominator))
    dice = torch.where(defined, (2 * intersection + smooth) / safe, torch.ones_like(safe))
    per_clip = (1 - dice).sum(dim=1)  # (N,)
    labelled = valid.sum(dims)[:, 0] > 0  # (N,): the clip has a labelled pixel
    return per_clip.sum() / labelled.sum().clamp(min=1).to(per_clip.dtype)


def frame_dice_loss(probs: Tensor, labels: Tensor, ignore_index: int = 255,
                    smooth: float = 0.0) -> Tensor:
    """The single-frame degradation of the tube loss (Shin et al. (2021) Table 3, model 3): the
    same class-wise Dice computed on every frame on its own, averaged over the frames (of every
    clip) that have labels.

    Args: as :func:`tube_dice_loss`. Returns: scalar.
    """
    return tube_dice_loss(probs.flatten(0, 1).unsqueeze(1), labels.flatten(0, 1).unsqueeze(1),
                          ignore_index, smooth)


# ----------------------------------------------------------------- self-training regularisers (CRST, IAST)
def _regularizer_inputs(logits: Tensor, labels: Tensor, ignore_index: int, name: str):
    """(log p (N, C, H, W), labelled mask (N, 1, H, W) float) with shape checks."""
    if logits.dim() != 4 or labels.shape != logits.shape[:1] + logits.shape[2:]:
        raise ValueError(f'{name} takes logits (N, C, H, W) and labels (N, H, W), got '
                         f'{tuple(logits.shape)} and {tuple(labels.shape)}')
    log_p = F.log_softmax(logits, dim=1)
    return log_p, (labels != ignore_index).unsqueeze(1).to(log_p.dtype)


def mrkld_regularizer(logits: Tensor, labels: Tensor, ignore_index: int = 255) -> Tensor:
    """CRST's model regulariser MR-KLD (Zou et al., ICCV 2019): KL(uniform || p) up to a constant,
    -(1/C) sum_c log p_c, averaged over the pseudo-labelled pixels (CRST code: the sum over
    labelled pixels divided by their number). CRST weighs it by alpha = 0.1 (mrkld.sh).

    Args:
        logits: (N, C, H, W) class scores.
        labels: (N, H, W) pseudo labels, ``ignore_index`` where unlabelled.
    Returns:
        Scalar >= log C; 0 (attached to the graph) when no pixel is labelled.
    """
    log_p, labelled = _regularizer_inputs(logits, labels, ignore_index, 'mrkld_regularizer')
    per_pixel = -log_p.mean(dim=1, keepdim=True)
    return (per_pixel * labelled).sum() / labelled.sum().clamp(min=1)


def mrent_regularizer(logits: Tensor, labels: Tensor, ignore_index: int = 255) -> Tensor:
    """An entropy model regulariser in the style of CRST's MR-KLD (Zou et al., ICCV 2019):
    sum_c p_c log p_c (the negative entropy of the output), averaged over the pseudo-labelled
    pixels, so minimising ``loss + weight * mrent_regularizer`` keeps labelled predictions from
    collapsing to one-hot. It is the entropy of CRST's LR-ENT moved from the labels onto the
    network output: what the toolbox ran as "LR-ENT" until issue 16 (CRST's real LR-ENT is
    ``LabelEntropyPolicy`` + :func:`top2_soft_cross_entropy`). See docs/methods/crst.md.

    Args: as :func:`mrkld_regularizer`. Returns: scalar in [-log C, 0]; 0 when nothing is labelled.
    """
    log_p, labelled = _regularizer_inputs(logits, labels, ignore_index, 'mrent_regularizer')
    per_pixel = (log_p.exp() * log_p).sum(dim=1, keepdim=True)
    return (per_pixel * labelled).sum() / labelled.sum().clamp(min=1)


def top2_soft_cross_entropy(logits: Tensor, first: Tensor, second: Tensor, first_weight: Tensor,
                            ignore_index: int = 255) -> Tensor:
    """Cross-entropy with soft labels y = w onehot(first) + (1 - w) onehot(second), summed over
    classes and averaged over the labelled pixels (``first != ignore_index``): CRST's loss with
    LR-ENT's soft labels (crst_seg.py ``reg_loss_calc_expand``: ce / valid_num), the labels
    stored as their two largest classes (``uda_toolbox.utils.soft_labels``).

    Args:
        logits: (N, C, H, W) class scores.
        first, second: (N, H, W) int64 class ids (``first`` = ``ignore_index`` where unlabelled).
        first_weight: (N, H, W) float weight w of ``first`` in [0, 1].
    Returns:
        Scalar; 0 (attached to the graph) when no pixel is labelled.
    """
    if logits.dim() != 4 or not (first.shape == second.shape == first_weight.shape
                                 == logits.shape[:1] + logits.shape[2:]):
        raise ValueError(f'top2_soft_cross_entropy takes logits (N, C, H, W) and (N, H, W) maps, '
                         f'got {tuple(logits.shape)}, {tuple(first.shape)}, {tuple(second.shape)}, '
                         f'{tuple(first_weight.shape)}')
    log_p = F.log_softmax(logits, dim=1)
    labelled = first != ignore_index
    num_classes = logits.shape[1]

    def picked(classes: Tensor) -> Tensor:
        index = torch.where(labelled, classes, 0).clamp(0, num_classes - 1)
        return log_p.gather(1, index.unsqueeze(1))[:, 0]

    weight = first_weight.to(log_p.dtype)
    per_pixel = -(weight * picked(first) + (1 - weight) * picked(second))
    mask = labelled.to(log_p.dtype)
    return (per_pixel * mask).sum() / mask.sum().clamp(min=1)


def ignored_entropy_loss(logits: Tensor, labels: Tensor, ignore_index: int = 255) -> Tensor:
    """IAST's ignore-region entropy minimisation: the entropy -sum_c p_c log p_c summed over the
    *unlabelled* pixels, divided by C x their number (as IAST's code normalises it).

    Args: as :func:`mrkld_regularizer`. Returns: scalar; 0 when every pixel is labelled.
    """
    log_p, labelled = _regularizer_inputs(logits, labels, ignore_index, 'ignored_entropy_loss')
    ignored = 1 - labelled
    entropy = -(log_p.exp() * log_p).sum(dim=1, keepdim=True)
    return (entropy * ignored).sum() / (ignored.sum() * log_p.shape[1]).clamp(min=1)


def labelled_kld_loss(logits: Tensor, labels: Tensor, ignore_index: int = 255) -> Tensor:
    """IAST's KLD regulariser on the labelled pixels: -(1/C) sum_c log p_c summed over them,
    divided by C x their number (IAST's normalisation; = :func:`mrkld_regularizer` / C).

    Args: as :func:`mrkld_regularizer`. Returns: scalar; 0 when no pixel is labelled.
    """
    return mrkld_regularizer(logits, labels, ignore_index) / logits.shape[1]


def iast_regularizer(logits: Tensor, labels: Tensor, ignore_index: int = 255,
                     ent_weight: float = 3.0, kld_weight: float = 0.1) -> Dict[str, Tensor]:
    """IAST's self-training regulariser (Shin et al. (2021) Eq. 5 / Eq. 13 L_reg), as named terms:
    ``loss_reg_ent = ent_weight * ignored_entropy_loss`` and
    ``loss_reg_kld = kld_weight * labelled_kld_loss``; L_reg is their sum.

    Defaults are IAST's config values (LAMBDA_ENTROPY_WEIGHT 3.0, LAMBDA_KLDREG_WEIGHT 0.1).

    Args: as :func:`mrkld_regularizer`, plus the two weights. Returns: the two scalar terms.
    """
    return dict(loss_reg_ent=ent_weight * ignored_entropy_loss(logits, labels, ignore_index),
                loss_reg_kld=kld_weight * labelled_kld_loss(logits, labels, ignore_index))


# ----------------------------------------------------------------- teacher-student (DACS / DAFormer / MIC)
def weighted_cross_entropy(logits: Tensor, labels: Tensor, weights: Tensor,
                           ignore_index: int = 255) -> Tensor:
    """Pixel-wise cross-entropy times a per-pixel weight, averaged over *all* pixels.

    The pseudo-label loss of DACS / DAFormer / MIC (DAFormer Sec. 3.1): mmseg 0.x's cross-entropy
    with ``seg_weight`` multiplies each pixel's loss by its weight and takes the plain mean, so
    ignored pixels (loss 0) still count in the denominator.

    Args:
        logits: (M, C, H, W) class scores.
        labels: (M, H, W) int64 class ids, ``ignore_index`` where unlabelled.
        weights: (M, H, W) per-pixel weights (the pseudo-label confidence weight q).
    Returns:
        Scalar loss.
    """
    per_pixel = F.cross_entropy(logits, labels, ignore_index=ignore_index, reduction='none')
    return (per_pixel * weights).mean()


def downscale_label_ratio(labels: Tensor, factor: int, min_ratio: float, num_classes: int,
                          ignore_index: int = 255) -> Tensor:
    """Labels (M, H, W) -> (M, H / factor, W / factor) by majority vote over factor x factor blocks.

    DAFormer's ``downscale_label_ratio``: the ignore label votes as a class of its own; a block
    whose winner covers less than ``min_ratio`` of it, or whose winner is the ignore label,
    becomes ``ignore_index``.
    """
    m, h, w = labels.shape
    votes = labels.clone()
    votes[votes == ignore_index] = num_classes
    one_hot = F.one_hot(votes, num_classes + 1).permute(0, 3, 1, 2).float()
    shares = F.avg_pool2d(one_hot, kernel_size=factor)
    ratio, winner = shares.max(dim=1)
    winner[(winner == num_classes) | (ratio < min_ratio)] = ignore_index
    return winner


def feature_distance(features: Tensor, reference: Tensor, mask: Tensor = None) -> Tensor:
    """DAFormer's feature distance (Sec. 3.4): the L2 distance over channels between the student's
    and the frozen ImageNet encoder's features, averaged over the masked positions.

    Args:
        features: (M, D, h, w) student features.
        reference: (M, D, h, w) frozen ImageNet features (no gradient).
        mask: (M, h, w) bool, the positions to average over (thing-class pixels); None: all.
    Returns:
        Scalar; 0 (attached to the graph) where the mask is empty. DAFormer's code takes the mean
        of an empty set there, which is NaN; a batch without thing pixels simply adds nothing.
    """
    distance = torch.norm(features - reference, p=2, dim=1)
    if mask is None:
        return distance.mean()
    return (distance * mask).sum() / mask.sum().clamp(min=1)
