"""TPS (Xing et al., ECCV 2022): temporal pseudo supervision with cross-frame pseudo labels.

Faithful to the official code (xing0047/TPS @ 9505ec1, ``tps/domain_adaptation/train_video_UDA.py``,
``train_TPS``), read as research/peers_davsn_tps.md section 6 describes it; the paper's Eq. 4:

    L = CE(F(X^S), y^S) + lambda_T * CE(F(A_cf(X^T_k)), P_cf(F(X^T_{k-1}), o_{k-1 -> k}, tau))

Equations, hyper-parameters, the quirks of the code and what we chose: docs/methods/tps.md.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor

from uda_toolbox.adaptors.base import BaseAdaptor, Batch
from uda_toolbox.adaptors.two_frame import TwoFrameAdaptorMixin, level_suffix
from uda_toolbox.models.losses import masked_cross_entropy
from uda_toolbox.registry import MODELS
from uda_toolbox.utils.classes import IGNORE_INDEX

# The pure functions of TPS's code live one layer down (DA-STC shares them); importable from here.
from uda_toolbox.utils.photometric import (  # noqa: F401
    CAFFE_BGR_MEAN,
    match_histograms,
    strong_augment,
    wrap_caffe_input,
)


# ----------------------------------------------------------------------------- strong augmentation
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
        self.configure_augmentation(strong_aug_input, weak_flip, flip_prob, blur_radii, blur_prob,
                                    jitter, jitter_prob, grayscale_prob)
        self.lambda_target = lambda_target
        self.lambda_seg_aux = lambda_seg_aux
        self.threshold = threshold
        self.label_warp = label_warp
        self.histogram_matching = histogram_matching
        self.scale_range = scale_range

    # ------------------------------------------------------------------ strong branch
    def strong_pair(self, current: Tensor, previous: Tensor) -> Tuple[Tensor, Tensor]:
        """The student pair: each sample's (t, t-1) augmented with one draw (``strong_view``),
        then both rescaled by one ratio s per batch."""
        current_aug, previous_aug = self.strong_view(current, previous)
        low, high = self.scale_range
        # np.random.randint(80, 120) / 100 in TPS: s in {0.80, 0.81, ..., 1.19}
        ratio = int(torch.randint(int(round(100 * low)), int(round(100 * high)), (1,))) / 100.0
        size = rescaled_size(tuple(current.shape[-2:]), ratio)
        return self.upsample(current_aug, size), self.upsample(previous_aug, size)

    # ------------------------------------------------------------------ pseudo labels
    def cross_frame_labels(self, target: Batch) -> Dict[str, Tensor]:
        """Pseudo labels of frame t per level, (N, h, w) at the logit grid (no gradient)."""
        current, previous, flow = self.pair_of(target, frame=-1, domain='target')  # t, t-1, t -> t-1
        weak, weaker, weak_flow = self.pair_of(target, frame=-2, domain='target')  # t-1, t-2
        flip, (weak, weaker, weak_flow) = self.flip_weak_pair(weak, weaker, weak_flow)
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
