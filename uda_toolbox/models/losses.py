"""Loss terms shared by the adaptors, each a small pure function on tensors."""
import torch.nn.functional as F
from torch import Tensor


def masked_cross_entropy(logits: Tensor, labels: Tensor, ignore_index: int = 255) -> Tensor:
    """Pixel-wise cross-entropy averaged over labelled pixels (seed Eq. 3 / Eq. 5).

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

