"""Augmentations applied to a batch inside a training step (the teacher-student methods).

DACS / DAFormer mix source and target images by class (ClassMix) and then colour-jitter and blur
the mixed images; MIC masks random blocks of the target image. Every function here is a small pure
function of tensors; the random draws come from the given ``torch.Generator`` or, when it is None,
from torch's global generator (which ``RNGStateHook`` checkpoints, so a resumed run draws the same).

Images are (M, 3, H, W) and labels (M, H, W): the adaptors treat every frame of a clip batch as
one image (M = N * T).
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from uda_toolbox.utils.normalize import denormalize, normalize

CLASS_POOLS = ('image', 'batch')


# ----------------------------------------------------------------- ClassMix (DACS)
def class_mix_masks(labels: Tensor, class_pool: str = 'image',
                    generator: Optional[torch.Generator] = None) -> Tensor:
    """ClassMix masks: the pixels of half the classes of each source label map (DACS Sec. 3).

    For image m, the classes to paste are ceil(n / 2) of the n distinct values drawn without
    replacement (DACS / DAFormer code: ``(n + n % 2) / 2``). As in both codes the distinct
    values include the ignore label when it is present, so ignored pixels can be pasted (their
    mixed label stays ignored).

    Args:
        labels: (M, H, W) int64 source labels.
        class_pool: ``'image'``: the classes of image m (DACS paper and code); ``'batch'``: the
            classes present anywhere in the batch (DAFormer's ``get_class_masks`` takes
            ``torch.unique`` of the whole batch).
        generator: Random generator (None: torch's global one).
    Returns:
        (M, H, W) bool, True where the source pixel is pasted.
    """
    if class_pool not in CLASS_POOLS:
        raise ValueError(f'class_pool must be one of {CLASS_POOLS}, got {class_pool!r}')
    masks = []
    for label in labels:
        classes = (label if class_pool == 'image' else labels).unique()
        n = classes.numel()
        order = torch.randperm(n, generator=generator).to(classes.device)
        chosen = classes[order[:(n + n % 2) // 2]]
        masks.append(torch.isin(label, chosen))
    return torch.stack(masks)


def mix(mask: Tensor, source: Tensor, target: Tensor) -> Tensor:
    """``source`` where ``mask``, else ``target``; ``mask`` (M, H, W) broadcasts over channels.

    Works for images (M, C, H, W) and for label / weight maps (M, H, W).
    """
    if source.dim() == mask.dim() + 1:
        mask = mask.unsqueeze(1)
    return torch.where(mask, source, target)


# ----------------------------------------------------------------- colour jitter and blur
def _uniform(low: float, high: float, size: int, generator: Optional[torch.Generator]) -> Tensor:
    return torch.rand(size, generator=generator) * (high - low) + low


def rgb_to_hsv(rgb: Tensor, eps: float = 1e-8) -> Tensor:
    """(..., 3, H, W) RGB in [0, 1] -> HSV with hue in [0, 2 pi), saturation and value in [0, 1]."""
    r, g, b = rgb.unbind(-3)
    value, argmax = rgb.max(-3)
    delta = value - rgb.min(-3).values
    saturation = delta / (value + eps)
    safe = torch.where(delta > 0, delta, torch.ones_like(delta))
    # Hue sector by the channel holding the maximum (the first one on ties).
    hue = torch.stack([((g - b) / safe) % 6, (b - r) / safe + 2, (r - g) / safe + 4], -3)
    hue = hue.gather(-3, argmax.unsqueeze(-3)).squeeze(-3)
    hue = torch.where(delta > 0, hue, torch.zeros_like(hue)) * (math.pi / 3)
    return torch.stack([hue, saturation, value], -3)


def hsv_to_rgb(hsv: Tensor) -> Tensor:
    """The inverse of :func:`rgb_to_hsv`."""
    hue, saturation, value = hsv.unbind(-3)
    sector = hue / (math.pi / 3)

    def channel(n: float) -> Tensor:
        k = (n + sector) % 6
        return value - value * saturation * torch.clamp(torch.minimum(k, 4 - k), 0, 1)

    return torch.stack([channel(5), channel(3), channel(1)], -3)


def adjust_colour(image: Tensor, brightness: float, contrast: float, saturation: float,
                  hue: float, order: Sequence[int]) -> Tensor:
    """One image (3, H, W) in [0, 1] through the four adjustments in ``order``.

    The adjustments of kornia 0.5's ``ColorJitter`` (the version DACS / DAFormer pin): brightness
    adds ``brightness - 1``, contrast multiplies by ``contrast``, saturation multiplies the HSV
    saturation, hue rotates the HSV hue by ``hue`` turns; each clamps to [0, 1]
    (0 brightness, 1 contrast, 2 saturation, 3 hue in ``order``).
    """
    def shift_hue(x: Tensor) -> Tensor:
        hsv = rgb_to_hsv(x)
        rotated = (hsv[0] + hue * 2 * math.pi) % (2 * math.pi)
        return hsv_to_rgb(torch.stack([rotated, hsv[1], hsv[2]]))

    def scale_saturation(x: Tensor) -> Tensor:
        hsv = rgb_to_hsv(x)
        return hsv_to_rgb(torch.stack([hsv[0], (hsv[1] * saturation).clamp(0, 1), hsv[2]]))

    steps = [lambda x: (x + brightness - 1).clamp(0, 1), lambda x: (x * contrast).clamp(0, 1),
             scale_saturation, shift_hue]
    for index in order:
        image = steps[int(index)](image)
    return image


def color_jitter(images: Tensor, strength: float,
                 generator: Optional[torch.Generator] = None) -> Tensor:
    """Colour jitter of (M, 3, H, W) images in [0, 1], new factors and order for every image.

    Factors as kornia's ``ColorJitter(brightness=s, contrast=s, saturation=s, hue=s)``:
    brightness ~ U(max(0, 1 - s), 1 + s), contrast and saturation ~ U(max(0, 1 - s), 1 + s),
    hue ~ U(-s, s) turns, the four applied in a random order (DACS ``colorJitter``, DAFormer
    ``dacs_transforms.color_jitter`` with s = 0.2).
    """
    low = max(0.0, 1.0 - strength)
    out = []
    for image in images:
        b, c, s = (float(v) for v in _uniform(low, 1.0 + strength, 3, generator))
        h = float(_uniform(-strength, strength, 1, generator))
        order = torch.randperm(4, generator=generator).tolist()
        out.append(adjust_colour(image, b, c, s, h, order))
    return torch.stack(out)


def blur_kernel_size(size: int) -> int:
    """The odd kernel size DACS uses for a side of ``size`` pixels: about 10 % of it.

    DACS / DAFormer: ``floor(ceil(0.1 * size) - 0.5 + ceil(0.1 * size) % 2)``, i.e. ceil(0.1 *
    size) when that is odd, else one less.
    """
    k = math.ceil(0.1 * size)
    return k if k % 2 else k - 1


def gaussian_blur(image: Tensor, sigma: float, kernel_size: Tuple[int, int]) -> Tensor:
    """Separable Gaussian blur of (C, H, W) with reflected borders (kornia's ``GaussianBlur2d``)."""
    out = image.unsqueeze(0)
    for dim, k in ((-2, kernel_size[0]), (-1, kernel_size[1])):
        if k <= 1:
            continue
        x = torch.arange(k, dtype=image.dtype, device=image.device) - (k - 1) / 2
        weights = torch.exp(-x ** 2 / (2 * sigma ** 2))
        weights = weights / weights.sum()
        shape = (k, 1) if dim == -2 else (1, k)
        pad = (0, 0, k // 2, k // 2) if dim == -2 else (k // 2, k // 2, 0, 0)
        channels = out.shape[1]
        kernel = weights.view(1, 1, *shape).expand(channels, 1, *shape)
        out = F.conv2d(F.pad(out, pad, mode='reflect'), kernel, groups=channels)
    return out.squeeze(0)


def strong_augment(inputs: Tensor, mean: Optional[Tensor], std: Optional[Tensor],
                   jitter_strength: float = 0.2,
                   jitter_probability: float = 0.8, blur_probability: float = 0.5,
                   sigma_range: Tuple[float, float] = (0.15, 1.15),
                   generator: Optional[torch.Generator] = None) -> Tensor:
    """DACS's strong augmentation of normalised images: colour jitter, then Gaussian blur.

    As DACS and DAFormer (``strong_transform``): one draw per batch decides whether the batch is
    jittered (probability ``jitter_probability``; the codes' ``color_jitter_probability=0.2`` is
    the chance of *skipping*, their test is ``u > 0.2``) and one whether it is blurred
    (``u > 0.5``); factors, order and sigma ~ U(0.15, 1.15) are drawn per image. Jitter works on
    the denormalised [0, 1] image, blur on the normalised one.

    Args:
        inputs: (M, 3, H, W) normalised images (RGB).
        mean, std: The data preprocessor's per-channel statistics (0-255 scale).
        jitter_strength: s of :func:`color_jitter` (0.2).
        jitter_probability: Probability that the batch is colour-jittered (0.8).
        blur_probability: Probability that the batch is blurred (0.5); 0 switches blur off.
        sigma_range: Range of the blur's sigma.
        generator: Random generator (None: torch's global one).
    Returns:
        The augmented (M, 3, H, W) normalised images.
    """
    jitter = float(torch.rand(1, generator=generator)) < jitter_probability
    blur = float(torch.rand(1, generator=generator)) < blur_probability
    out = inputs
    if jitter:
        images = denormalize(out, mean, std) / 255.0
        images = color_jitter(images, jitter_strength, generator)
        out = normalize(images * 255.0, mean, std)
    if blur:
        size = (blur_kernel_size(out.shape[-2]), blur_kernel_size(out.shape[-1]))
        sigmas = _uniform(sigma_range[0], sigma_range[1], out.shape[0], generator)
        out = torch.stack([gaussian_blur(image, float(s), size) for image, s in zip(out, sigmas)])
    return out


# ----------------------------------------------------------------- MIC block masking
def block_mask(batch: int, height: int, width: int, block_size: int, mask_ratio: float,
               generator: Optional[torch.Generator] = None, device=None) -> Tensor:
    """MIC's random patch mask (Hoyer et al., CVPR 2023, Sec. 3; ``BlockMaskGenerator``).

    A grid of round(H / b) x round(W / b) blocks, each kept with probability 1 - ``mask_ratio``
    (withheld where u <= r), upsampled to (H, W) by nearest neighbour.

    Returns:
        (batch, 1, height, width) float mask: 1 kept, 0 withheld.
    """
    grid = (batch, 1, max(round(height / block_size), 1), max(round(width / block_size), 1))
    keep = (torch.rand(grid, generator=generator) > mask_ratio).float()
    return F.interpolate(keep, size=(height, width), mode='nearest').to(device)
