"""TPS (Xing et al., ECCV 2022): temporal pseudo supervision with cross-frame pseudo labels.

Faithful to the official code (xing0047/TPS @ 9505ec1, ``tps/domain_adaptation/train_video_UDA.py``,
``train_TPS``), read as research/peers_davsn_tps.md section 6 describes it; the paper's Eq. 4:

    L = CE(F(X^S), y^S) + lambda_T * CE(F(A_cf(X^T_k)), P_cf(F(X^T_{k-1}), o_{k-1 -> k}, tau))

Equations, hyper-parameters, the quirks of the code and what we chose: docs/methods/tps.md.
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image, ImageEnhance, ImageFilter
from torch import Tensor

from uda_toolbox.adaptors.base import BaseAdaptor, Batch
from uda_toolbox.adaptors.two_frame import TwoFrameAdaptorMixin, level_suffix
from uda_toolbox.models.losses import masked_cross_entropy
from uda_toolbox.registry import MODELS
from uda_toolbox.utils.classes import IGNORE_INDEX
from uda_toolbox.utils.normalize import denormalize, normalize, preprocessor_stats

#: The originals' image normalisation (ADVENT's IMG_MEAN, BGR, no std): what TPS's strong
#: augmentation received, and so what its colour wrap depends on.
CAFFE_BGR_MEAN = (104.00698793, 116.66876762, 122.67891434)
STRONG_AUG_INPUTS = ('original', 'clean')
WEAK_FLIPS = ('original', 'consistent', None)


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


def rescaled_size(size: Tuple[int, int], ratio: float, multiple: int = 8) -> Tuple[int, int]:
    """TPS's student size: ``round(H * s / 8) * 8`` by ``round(W * s / 8) * 8``."""
    return tuple(int(round(side * ratio / multiple) * multiple) for side in size)


# ----------------------------------------------------------------------------- the adaptor
@MODELS.register_module()
class TPS(TwoFrameAdaptorMixin, BaseAdaptor):
    """TPS on the two-frame flow-fusion segmentor (warp ``'bilinear'``, TPS's ``Resample2d``).

    Every random draw of the step (flip, blur radius, jitter, grayscale, scale) comes from torch's
    global generator, which ``RNGStateHook`` saves with each checkpoint, so ``--resume`` draws
    what the uninterrupted run drew (TPS itself mixes Python's, numpy's and torch's generators).

    One iteration (``train_TPS``), with source clips (t-1, t) and target clips (t-2, t-1, t)
    (``num_frames=3``) and their flows:

    1. Source frames histogram-matched to the target frame t (``histogram_matching``), then the
       fused cross-entropy on frame t (main + ``lambda_seg_aux`` aux).
    2. Weak branch, no gradient, model in train mode: the pair (t-1, t-2) with flow t-1 -> t-2
       (horizontally flipped with probability 1/2, see ``weak_flip``); the softmax of its fused
       outputs is warped to frame t with the flow t -> t-1 (``label_warp``), and its argmax is the
       pseudo label of each level, at the logit grid; no confidence threshold unless ``threshold``.
    3. Strong branch: frames (t, t-1) stacked and augmented with one draw (blur, colour jitter,
       grayscale; ``strong_aug_input``), both rescaled by s in {0.80, ..., 1.19}; the fused
       outputs are resized back to the pseudo labels' grid and trained with
       ``lambda_target * [CE(main) + lambda_seg_aux * CE(aux)]``.

    Args:
        segmentor: A ``TwoFrameSegmentor`` config.
        lambda_target: lambda_T (paper and ``tps_syn2city.yml``: 1.0; ``tps_viper2city.yml``: 0.1).
        lambda_seg_aux: Auxiliary weight of both cross-entropies (``LAMBDA_SEG_AUX`` 0.1).
        threshold: tau of Eq. 4: pixels whose warped confidence is not above it are ignored; None
            (the code, and the paper's tau = 0) keeps every argmax.
        label_warp: Warp of the pseudo labels (``'bilinear'``: ``Resample2d``); ``'default'``
            follows the segmentor's fusion warp.
        histogram_matching: Match source frames to the target frame t (code; not in the paper).
        strong_aug_input: ``'original'``: the code's input to ``ToPILImage`` (normalised BGR
            floats: an inverted, wrapped image, fed to the network in [0, 1] without
            normalisation); ``'clean'``: the frame's own RGB pixels, normalised after the
            augmentation like every other input.
        weak_flip: ``'original'``: as coded, the flipped pair keeps its flow's x sign and the
            flipped prediction is warped with the unflipped flow (TPS #9 / DA-VSN #8); ``'consistent'``:
            the flow's dx is negated and the prediction flipped back before the warp; None: no flip.
        flip_prob: Probability of the weak-branch flip (0.5).
        blur_radii: Radii drawn for the Gaussian blur ((5, 7, 9); 7-11 in TPS's first version).
        blur_prob: Probability of the blur (0.6).
        jitter: ColorJitter's (brightness, contrast, saturation, hue) = (0.8, 0.8, 0.8, 0.2).
        jitter_prob: Probability of the colour jitter (0.8).
        grayscale_prob: Probability of the grayscale conversion (0.2).
        scale_range: ``SCALING_RATIO`` (0.8, 1.2): s = randint(80, 120) / 100.
    """

    def __init__(self, segmentor: dict, lambda_target: float = 1.0, lambda_seg_aux: float = 0.1,
                 threshold: Optional[float] = None, label_warp: Optional[str] = 'bilinear',
                 histogram_matching: bool = True, strong_aug_input: str = 'original',
                 weak_flip: Optional[str] = 'original', flip_prob: float = 0.5,
                 blur_radii: Sequence[float] = (5, 7, 9), blur_prob: float = 0.6,
                 jitter: Sequence[float] = (0.8, 0.8, 0.8, 0.2), jitter_prob: float = 0.8,
                 grayscale_prob: float = 0.2, scale_range: Tuple[float, float] = (0.8, 1.2),
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.check_two_frame()
        if strong_aug_input not in STRONG_AUG_INPUTS:
            raise ValueError(f'TPS: strong_aug_input must be one of {STRONG_AUG_INPUTS}, got '
                             f'{strong_aug_input!r}')
        if weak_flip not in WEAK_FLIPS:
            raise ValueError(f'TPS: weak_flip must be one of {WEAK_FLIPS}, got {weak_flip!r}')
        if len(jitter) != 4:
            raise ValueError(f'TPS: jitter is (brightness, contrast, saturation, hue), got {jitter!r}')
        self.lambda_target = lambda_target
        self.lambda_seg_aux = lambda_seg_aux
        self.threshold = threshold
        self.label_warp = label_warp
        self.histogram_matching = histogram_matching
        self.strong_aug_input = strong_aug_input
        self.weak_flip = weak_flip
        self.flip_prob = flip_prob
        self.blur_radii = tuple(blur_radii)
        self.blur_prob = blur_prob
        self.jitter = tuple(float(j) for j in jitter)
        self.jitter_prob = jitter_prob
        self.grayscale_prob = grayscale_prob
        self.scale_range = scale_range

    # ------------------------------------------------------------------ pixels
    def to_pixels_bgr(self, inputs: Tensor) -> Tensor:
        """Normalised frames (..., 3, H, W) back to their 0..255 BGR pixel values (rounded: the
        frames were uint8)."""
        stats = preprocessor_stats(self.data_preprocessor)
        pixels = denormalize(inputs, stats['mean'], stats['std'])
        return (pixels.flip(-3) if stats['bgr_to_rgb'] else pixels).round()

    def from_pixels_bgr(self, pixels: Tensor) -> Tensor:
        """0..255 BGR pixel values (..., 3, H, W) -> the model's normalised input."""
        return normalize(pixels.float(), **preprocessor_stats(self.data_preprocessor))

    def matched_source(self, source: Batch, target: Batch) -> Batch:
        """Source clips with each frame's histograms matched to its batch partner's target frame t."""
        pixels = self.to_pixels_bgr(source['inputs'])
        reference = self.to_pixels_bgr(target['inputs'][:, -1])
        matched = torch.stack([torch.stack([match_histograms(frame, reference[i]) for frame in clip])
                               for i, clip in enumerate(pixels)])
        return dict(source, inputs=self.from_pixels_bgr(matched).to(source['inputs'].dtype))

    def strong_pair(self, current: Tensor, previous: Tensor) -> Tuple[Tensor, Tensor]:
        """The student pair: each sample's (t, t-1) stacked vertically and augmented with one draw
        (:func:`strong_augment`), then both rescaled by one ratio s per batch."""
        stats = preprocessor_stats(self.data_preprocessor)
        pixels = self.to_pixels_bgr(torch.cat([current, previous], dim=-2))  # (N, 3, 2H, W)
        augmented = []
        for sample in pixels:
            # TPS draws the radius (Python's random.choice) when it builds the pipeline.
            radius = self.blur_radii[int(torch.randint(len(self.blur_radii), (1,)))]
            if self.strong_aug_input == 'original':
                image = wrap_caffe_input(sample)  # BGR order, taken as RGB by PIL (as coded)
            else:
                image = sample.flip(0).permute(1, 2, 0).to(torch.uint8).cpu().numpy()  # RGB
            out = torch.from_numpy(strong_augment(image, radius, self.blur_prob, self.jitter,
                                                  self.jitter_prob, self.grayscale_prob).copy())
            out = out.permute(2, 0, 1).float()
            if self.strong_aug_input == 'original':
                # ToTensor: [0, 1], no normalisation; channel k keeps the role of BGR channel k.
                out = out / 255.0
                augmented.append(out.flip(0) if stats['bgr_to_rgb'] else out)
            else:
                augmented.append(self.from_pixels_bgr(out.flip(0)))
        stacked = torch.stack(augmented).to(current.device, current.dtype)
        h = current.shape[-2]
        low, high = self.scale_range
        # np.random.randint(80, 120) / 100 in TPS: s in {0.80, 0.81, ..., 1.19}
        ratio = int(torch.randint(int(round(100 * low)), int(round(100 * high)), (1,))) / 100.0
        size = rescaled_size(tuple(current.shape[-2:]), ratio)
        return (self.upsample(stacked[..., :h, :], size), self.upsample(stacked[..., h:, :], size))

    # ------------------------------------------------------------------ pseudo labels
    def cross_frame_labels(self, target: Batch) -> Dict[str, Tensor]:
        """Pseudo labels of frame t per level, (N, h, w) at the logit grid (no gradient)."""
        current, previous, flow = self.pair_of(target, frame=-1, domain='target')  # t, t-1, t -> t-1
        weak, weaker, weak_flow = self.pair_of(target, frame=-2, domain='target')  # t-1, t-2
        flip = self.weak_flip is not None and float(torch.rand(1)) < self.flip_prob
        if flip:
            weak, weaker, weak_flow = weak.flip(-1), weaker.flip(-1), weak_flow.flip(-1)
            if self.weak_flip == 'consistent':
                weak_flow = weak_flow * torch.tensor([-1.0, 1.0], device=weak_flow.device).view(1, 2, 1, 1)
        with torch.no_grad():
            fused = self.segment_pair(weak, weaker, weak_flow)['fused']
            labels = {}
            for level, logits in fused.items():
                probs = logits.softmax(dim=1)
                if flip and self.weak_flip == 'consistent':
                    probs = probs.flip(-1)  # back to frame coordinates before the warp
                warped, mask = self.segmentor.propagate(probs, flow, self.label_warp)
                confidence, label = warped.max(dim=1)
                if flip and self.weak_flip == 'original':
                    label, confidence, mask = label.flip(-1), confidence.flip(-1), mask.flip(-1)
                ignore = ~mask[:, 0]
                if self.threshold is not None:
                    ignore |= confidence <= self.threshold
                labels[level] = label.masked_fill(ignore, IGNORE_INDEX)
        return labels

    # ------------------------------------------------------------------ loss
    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        if target['inputs'].shape[1] < 3:
            raise ValueError('TPS needs target clips of 3 frames (t-2, t-1, t): set num_frames=3 in '
                             'the target dataset (configs/tps/synthetic.py)')
        losses: Dict[str, Tensor] = {}
        if self.histogram_matching:
            source = self.matched_source(source, target)
        self.fused_source_losses(source, losses, self.lambda_seg_aux)
        labels = self.cross_frame_labels(target)
        current, previous, flow = self.pair_of(target, frame=-1, domain='target')
        student = self.segment_pair(*self.strong_pair(current, previous), flow)['fused']
        for level, logits in student.items():
            weight = self.lambda_target * (1.0 if level == 'main' else self.lambda_seg_aux)
            grid = labels[level].shape[-2:]
            losses[f'loss_tps{level_suffix(level)}'] = weight * masked_cross_entropy(
                self.upsample(logits, grid), labels[level], self.ignore_index)
        return losses
