"""What the two-frame methods (DA-VSN, TPS) share: pair forwards of the ``TwoFrameSegmentor``.

Both train the ACCEL-style segmentor of their code (``uda_toolbox.models.segmentors.two_frame``)
on (t-1, t) pairs with the t -> t-1 flow and supervise its fused output on source frames t
(``davsn/domain_adaptation/train_video_UDA.py`` and ``tps/domain_adaptation/train_video_UDA.py``:
``loss_calc`` of the upsampled fused main and auxiliary outputs, the latter weighted 0.1).
A base class (``TwoFrameAdaptorMixin``) mixed into ``AdversarialAdaptor`` (DA-VSN) or
``BaseAdaptor`` (TPS, DA-STC). TPS's augmentations, which DA-STC inherits (histogram matching of
the source, the strong view of the target pair, the flipped weak pair), are methods here; their
pure functions are in ``uda_toolbox.utils.photometric``.
"""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn as nn
from mmseg.models.utils import resize
from torch import Tensor

from uda_toolbox.adaptors.base import Batch, configured_seg_loss
from uda_toolbox.models.segmentors import TwoFrameSegmentor
from uda_toolbox.utils.normalize import denormalize, normalize, preprocessor_stats
from uda_toolbox.utils.photometric import match_histograms, strong_augment, wrap_caffe_input

PairOutput = Dict[str, Dict[str, Tensor]]
#: What the strong view augments: ``'original'``, TPS's ``ToPILImage`` of normalised BGR floats
#: (an inverted, wrapped image fed in [0, 1]); ``'clean'``, the frames' own pixels.
STRONG_AUG_INPUTS = ('original', 'clean')
#: The flip of the weak (pseudo-label) pair: ``'original'`` (the flow keeps its x sign, TPS #9),
#: ``'consistent'`` (dx negated, prediction flipped back before the warp), None (no flip).
WEAK_FLIPS = ('original', 'consistent', None)


class PairForward(nn.Module):
    """``TwoFrameSegmentor.forward_pair`` as a module's forward: what DistributedDataParallel wraps
    for the two-frame adaptors (as ``SegmentorForward`` for the single-frame ones)."""

    def __init__(self, segmentor: TwoFrameSegmentor):
        super().__init__()
        self.segmentor = segmentor

    def forward(self, current: Tensor, previous: Tensor, flow: Tensor, fuse: bool = True) -> PairOutput:
        return self.segmentor.forward_pair(current, previous, flow, fuse)


def level_suffix(level: str) -> str:
    """Loss-name suffix of a classifier level: '' for main, '_aux' for the auxiliary one."""
    return '' if level == 'main' else f'_{level}'


class TwoFrameAdaptorMixin:
    """Pair forwards, upsampling and the fused source loss of the two-frame adaptors.

    Put it first among the bases (``class DAVSN(TwoFrameAdaptorMixin, AdversarialAdaptor)``);
    call :meth:`check_two_frame` at the end of ``__init__``.
    """

    segmentor: TwoFrameSegmentor

    def check_two_frame(self) -> None:
        if not isinstance(self.segmentor, TwoFrameSegmentor):
            raise TypeError(
                f"{type(self).__name__} trains a two-frame segmentor: set model.segmentor = "
                "dict(type='TwoFrameSegmentor', segmentor=<an mmseg segmentor>, warp=...), got "
                f'{type(self.segmentor).__name__} (see configs/_base_/models/two_frame_tiny_deeplabv2.py)')

    def ddp_modules(self) -> Dict[str, nn.Module]:
        """The pair forward replaces the single-frame one (the fusion conv is trained through it)."""
        modules = super().ddp_modules()
        modules['segmentor'] = PairForward(self.segmentor)
        return modules

    def segment_pair(self, current: Tensor, previous: Tensor, flow: Tensor,
                     fuse: bool = True) -> PairOutput:
        """``TwoFrameSegmentor.forward_pair``, through the DDP wrapper when one is attached and
        gradients are on (as ``BaseAdaptor.segment_levels``)."""
        ddp = self._ddp.get('segmentor') if torch.is_grad_enabled() else None
        if ddp is not None:
            return ddp(current, previous, flow, fuse)
        return self.segmentor.forward_pair(current, previous, flow, fuse)

    def pair_of(self, batch: Batch, frame: int = -1, domain: str = 'source'
                ) -> Tuple[Tensor, Tensor, Tensor]:
        """(frames ``frame``, frames ``frame - 1``, flow from the first to the second) of a batch.

        Args:
            batch: ``inputs`` (N, T, 3, H, W) and ``flows`` (N, T-1, 2, H, W), where ``flows[:, k]``
                goes from frame k + 1 to frame k.
            frame: Index of the current frame along T (negative from the end).
            domain: For the error message.
        """
        if batch.get('flows') is None:
            raise KeyError(f'{type(self).__name__} needs the optical flow of the {domain} clips: add '
                           f"dict(type='LoadClipFlow') to the {domain} pipeline and set its dataset's "
                           'data_prefix.flow_path (docs/data.md, "Optical flow")')
        inputs = batch['inputs']
        frame = frame % inputs.shape[1]
        if frame < 1:
            raise ValueError(f'{type(self).__name__}: frame {frame} of a {inputs.shape[1]}-frame '
                             'clip has no previous frame')
        return inputs[:, frame], inputs[:, frame - 1], batch['flows'][:, frame - 1]

    def upsample(self, logits: Tensor, size) -> Tensor:
        """Bilinear resize with the wrapped segmentor's ``align_corners`` (True in the originals)."""
        return resize(logits, size=tuple(size), mode='bilinear',
                      align_corners=self.segmentor.align_corners, warning=False)

    def fused_source_losses(self, source: Batch, losses: Dict[str, Tensor],
                            lambda_seg_aux: float) -> PairOutput:
        """The segmentation loss of the fused outputs on source frames t (``loss_seg_src`` and, for the
        auxiliary level, ``loss_seg_src_aux`` weighted by ``lambda_seg_aux``); returns the pair
        output for the method's other terms."""
        current, previous, flow = self.pair_of(source, domain='source')
        out = self.segment_pair(current, previous, flow)
        labels = source['gt_seg'][:, -1]
        for level, logits in out['fused'].items():
            weight = 1.0 if level == 'main' else lambda_seg_aux
            # The level's head's configured loss_decode, as BaseAdaptor.seg_loss (Eq. 3's CE).
            head = self.segmentor.decode_head if level == 'main' else self.segmentor.auxiliary_head
            losses[f'loss_seg_src{level_suffix(level)}'] = weight * configured_seg_loss(
                head, self.upsample(logits, labels.shape[-2:]), labels)
        return out

    # ------------------------------------------------------------------ TPS's augmentations
    def configure_augmentation(self, strong_aug_input: str = 'original', weak_flip=None,
                               flip_prob: float = 0.5, blur_radii: Sequence[float] = (5, 7, 9),
                               blur_prob: float = 0.6,
                               jitter: Sequence[float] = (0.8, 0.8, 0.8, 0.2),
                               jitter_prob: float = 0.8, grayscale_prob: float = 0.2) -> None:
        """Check and keep the options of :meth:`strong_view` and :meth:`flip_weak_pair`."""
        name = type(self).__name__
        if strong_aug_input not in STRONG_AUG_INPUTS:
            raise ValueError(f'{name}: strong_aug_input must be one of {STRONG_AUG_INPUTS}, got '
                             f'{strong_aug_input!r}')
        if weak_flip not in WEAK_FLIPS:
            raise ValueError(f'{name}: weak_flip must be one of {WEAK_FLIPS}, got {weak_flip!r}')
        if len(jitter) != 4:
            raise ValueError(f'{name}: jitter is (brightness, contrast, saturation, hue), got '
                             f'{jitter!r}')
        self.strong_aug_input = strong_aug_input
        self.weak_flip = weak_flip
        self.flip_prob = flip_prob
        self.blur_radii = tuple(blur_radii)
        self.blur_prob = blur_prob
        self.jitter = tuple(float(j) for j in jitter)
        self.jitter_prob = jitter_prob
        self.grayscale_prob = grayscale_prob

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

    def strong_view(self, current: Tensor, previous: Tensor) -> Tuple[Tensor, Tensor]:
        """TPS's strong view of a target pair: each sample's (t, t-1) stacked vertically and
        augmented with one draw (:func:`~uda_toolbox.utils.photometric.strong_augment`); see
        ``strong_aug_input`` for what goes in and comes out. Random draws: torch's global
        generator (the blur radius, then the augmentation's), per sample."""
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
        return stacked[..., :h, :], stacked[..., h:, :]

    def flip_weak_pair(self, current: Tensor, previous: Tensor, flow: Tensor
                       ) -> Tuple[bool, Tuple[Tensor, Tensor, Tensor]]:
        """TPS's horizontal flip of the pseudo-label pair with probability ``flip_prob`` (one
        draw per batch). Returns (flipped?, (current, previous, flow)); with ``weak_flip=
        'consistent'`` the flipped flow's dx is negated, with ``'original'`` it is not (as coded).
        The caller flips the prediction back (``'consistent'``: before warping it; ``'original'``:
        the warped label, as coded)."""
        flip = self.weak_flip is not None and float(torch.rand(1)) < self.flip_prob
        if flip:
            current, previous, flow = current.flip(-1), previous.flip(-1), flow.flip(-1)
            if self.weak_flip == 'consistent':
                flow = flow * torch.tensor([-1.0, 1.0], device=flow.device).view(1, 2, 1, 1)
        return flip, (current, previous, flow)
