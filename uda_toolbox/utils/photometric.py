"""Photometric operations on frames shared by the two-frame methods (TPS, DA-STC).

TPS's code (xing0047/TPS ``train_video_UDA.py``), which DA-STC inherits (ZHE-SAPI/UDASS
``train_video_DAVSS_DSF_cd_ablation_{24,31}.py``): the histogram matching of source frames to a
target frame (``skimage.exposure.match_histograms``), what ``ToPILImage`` makes of their
mean-subtracted inputs (the colour-inverting wrap), and the PIL strong augmentation (blur, colour
jitter, grayscale) with torchvision's semantics. Pure functions on tensors and arrays; the
adaptors call them through ``uda_toolbox.adaptors.two_frame``. docs/methods/tps.md.
"""
from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageEnhance, ImageFilter
from torch import Tensor

#: The originals' image normalisation (ADVENT's IMG_MEAN, BGR, no std): what TPS's strong
#: augmentation received, and so what its colour wrap depends on.
CAFFE_BGR_MEAN = (104.00698793, 116.66876762, 122.67891434)


# ----------------------------------------------------------------------------- histogram matching
def _interp(x: Tensor, xp: Tensor, fp: Tensor) -> Tensor:
    """``numpy.interp`` in torch: piecewise-linear through (xp, fp), constant beyond the ends."""
    if xp.numel() == 1:
        return fp.expand_as(x).clone()
    right = torch.searchsorted(xp, x, right=True).clamp(1, xp.numel() - 1)
    x0, x1, f0, f1 = xp[right - 1], xp[right], fp[right - 1], fp[right]
    out = f0 + (x - x0) / (x1 - x0) * (f1 - f0)
    out = torch.where(x <= xp[0], fp[0], out)
    return torch.where(x >= xp[-1], fp[-1], out)


def match_histograms(image: Tensor, reference: Tensor) -> Tensor:
    """Histogram matching per channel (what TPS calls ``skimage.exposure.match_histograms``
    with ``multichannel=True`` on float frames): each value of ``image`` goes to the
    ``reference`` value at the same quantile, interpolated linearly between quantiles.

    Args:
        image: (C, H, W) pixel values.
        reference: (C, H', W') pixel values.
    Returns:
        (C, H, W) float64 matched values (not rounded, as TPS feeds them on).
    """
    out = torch.empty(image.shape, dtype=torch.float64, device=image.device)
    for c in range(image.shape[0]):
        values, inverse, counts = torch.unique(image[c].double().flatten(), return_inverse=True,
                                               return_counts=True)
        ref_values, ref_counts = torch.unique(reference[c].double().flatten(), return_counts=True)
        quantiles = counts.cumsum(0).double() / image[c].numel()
        ref_quantiles = ref_counts.cumsum(0).double() / reference[c].numel()
        out[c] = _interp(quantiles, ref_quantiles, ref_values)[inverse].view(image.shape[1:])
    return out


# ----------------------------------------------------------------------------- strong augmentation
def wrap_caffe_input(pixels_bgr: Tensor) -> np.ndarray:
    """What TPS's ``ToPILImage`` makes of its normalised input (the colour-inverting wrap).

    TPS's dataset returns ``float32(BGR - CAFFE_BGR_MEAN)``; ``ToPILImage`` multiplies a float
    tensor by 255 and casts it to uint8, which wraps out-of-range values modulo 256 (after
    truncation toward zero: -1 -> 255, 300.5 -> 44). Each channel becomes about
    ``(c - value) mod 256``: an inverted, channel-shifted, wrapped image
    (research/peers_davsn_tps.md section 6.7.1). Computed explicitly here, in the originals'
    float32 arithmetic, instead of relying on a platform's float -> uint8 cast.

    Args:
        pixels_bgr: (3, H, W) integer-valued pixel values 0..255, BGR.
    Returns:
        (H, W, 3) uint8, channels still in BGR order (``ToPILImage`` took them as RGB).
    """
    mean = torch.tensor(CAFFE_BGR_MEAN, dtype=torch.float64).view(3, 1, 1)
    centred = (pixels_bgr.double().cpu() - mean).float()
    scaled = torch.trunc(centred * 255.0).to(torch.int64)
    return torch.remainder(scaled, 256).to(torch.uint8).permute(1, 2, 0).numpy()


def _adjust_hue(img: Image.Image, factor: float) -> Image.Image:
    """Shift the hue channel (PIL's HSV, 0..255) by ``factor * 255``, wrapping (torchvision's
    PIL ``adjust_hue``)."""
    hue, sat, val = img.convert('HSV').split()
    shift = int(np.trunc(factor * 255))
    hue = Image.fromarray(((np.asarray(hue, np.int64) + shift) % 256).astype(np.uint8), 'L')
    return Image.merge('HSV', (hue, sat, val)).convert('RGB')


def strong_augment(image: np.ndarray, blur_radius: float, blur_prob: float,
                   jitter: Sequence[float], jitter_prob: float, grayscale_prob: float) -> np.ndarray:
    """TPS's photometric pipeline on one (H, W, 3) uint8 image, torchvision's semantics:
    ``RandomApply([GaussianBlur(radius)], p=blur_prob)``, ``RandomApply([ColorJitter(b, c, s, h)],
    p=jitter_prob)`` (the four adjustments in a random order, factors uniform in
    [max(0, 1 - x), 1 + x] and hue in [-h, h]), ``RandomGrayscale(p=grayscale_prob)``.

    Random draws from torch's global generator, as torchvision (saved with every checkpoint).
    """
    img = Image.fromarray(image, 'RGB')
    if float(torch.rand(1)) < blur_prob:
        img = img.filter(ImageFilter.GaussianBlur(radius=blur_radius))
    if float(torch.rand(1)) < jitter_prob:
        brightness, contrast, saturation, hue = jitter
        for fn in torch.randperm(4).tolist():
            if fn == 0:
                img = ImageEnhance.Brightness(img).enhance(_uniform(1 - brightness, 1 + brightness))
            elif fn == 1:
                img = ImageEnhance.Contrast(img).enhance(_uniform(1 - contrast, 1 + contrast))
            elif fn == 2:
                img = ImageEnhance.Color(img).enhance(_uniform(1 - saturation, 1 + saturation))
            else:
                img = _adjust_hue(img, float(torch.empty(1).uniform_(-hue, hue)))
    if float(torch.rand(1)) < grayscale_prob:
        img = img.convert('L').convert('RGB')
    return np.asarray(img, dtype=np.uint8)


def _uniform(low: float, high: float) -> float:
    return float(torch.empty(1).uniform_(max(0.0, low), high))
