"""DA-STC / QuadMix (Zhang et al., arXiv 2311.13254 v1; TPAMI 2025), the CNN variant.

Faithful to the official code (ZHE-SAPI/UDASS @ b0e44f7, ``video_udass/VIDEO/tps/
domain_adaptation_ablation/train_video_DAVSS_DSF_cd_ablation_31.py`` (VIPER) and ``_24.py``
(SYNTHIA-Seq), ``train_TPS``), read as research/peers_dastc_stpl.md Part A describes one iteration:
TPS's cross-frame pseudo supervision, plus a four-directional two-frame class-mix with long-tail
instances (``uda_toolbox.models.clip_mix``, ``uda_toolbox.models.long_tail_bank``) and a
category-aware MMD between class-mean score vectors (``uda_toolbox.models.mmd``):

    L = L_sou + L_src_p + lambda_T (L_trg + 0.1 L_trg_aux + L_tar_p) + 0.01 MMD^2(mu^S, mu^T)

Equations, hyper-parameters, the quirks of the code and what we chose: docs/methods/da_stc.md.
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from uda_toolbox.adaptors.base import BaseAdaptor, Batch
from uda_toolbox.adaptors.two_frame import TwoFrameAdaptorMixin, level_suffix
from uda_toolbox.models.clip_mix import FLOW_MASK_FRAMES, class_mask, quad_mix
from uda_toolbox.models.long_tail_bank import LongTailBank
from uda_toolbox.models.losses import masked_cross_entropy
from uda_toolbox.models.mmd import class_mean_vectors, labels_on_grid
from uda_toolbox.registry import MODELS
from uda_toolbox.utils.checkpoint import (
    CheckpointError,
    allow_toolbox_checkpoint_globals,
    load_from_local_checked,
)
from uda_toolbox.utils.classes import IGNORE_INDEX
from uda_toolbox.utils.normalize import normalize, preprocessor_stats
from uda_toolbox.utils.warp import compose_flows, resize_flow

#: What the 0.9 threshold of frame c (t-1) is applied to: ``'logits'``, the upsampled raw scores
#: (the code: ``torch.max(trg_pred_512)``), or ``'probs'``, their softmax (as for frame d).
FRAME_C_CONFIDENCES = ('logits', 'probs')
#: Where the class mask of the previous source frame t-1 comes from: ``'label'``, its own label
#: (the code; the source needs labels of t-1), or ``'frame_t'``, frame t's mask reused.
PREVIOUS_SOURCE_MASKS = ('label', 'frame_t')
#: The long-tail mask of the fusion in the mixed passes: ``'sum'`` of the pasted instances' masks
#: (the code: 2 where two overlap) or their ``'union'``.
LONG_TAIL_MASKS = ('sum', 'union')
#: The state carried from one iteration to the next (buffers, saved with every checkpoint):
#: source frames (t-1, t) after histogram matching, their labels, the source flow t -> t-1; target
#: frames (c, d) = (t-1, t) unaugmented, their pseudo labels, confident-class masks and flow d -> c.
MEMORY = ('source_frames', 'source_labels', 'source_flow', 'target_frames', 'target_labels',
          'target_masks', 'target_flow')


def teacher_config(segmentor: dict) -> dict:
    """The frozen teacher's segmentor config: the student's without pretrained backbone weights
    (the teacher takes its weights from a checkpoint or the student)."""
    cfg = copy.deepcopy(dict(segmentor))
    for part in (cfg, cfg.get('segmentor')):
        if isinstance(part, dict) and isinstance(part.get('backbone'), dict):
            part['backbone'] = dict(part['backbone'], init_cfg=None)
            part.pop('pretrained', None)
    return cfg


def _choose(values: Tensor, count: int) -> Tensor:
    """``count`` distinct random entries of ``values`` (all if fewer): ``np.random.choice(n,
    count, replace=False)`` on torch's generator."""
    return values[torch.randperm(values.numel(), device=values.device)[:count]]


@MODELS.register_module()
class DASTC(TwoFrameAdaptorMixin, BaseAdaptor):
    """DA-STC (QuadMix, CNN) on the two-frame flow-fusion segmentor (warp ``'bilinear'``).

    Batches: source clips (t-1, t) with labels and the flow t -> t-1; target clips (a, c, d) =
    (t-2, t-1, t) (``num_frames=3``; the code's b is c) with the flows c -> a and d -> c.

    **State.** The first training iteration only fills the memory (:data:`MEMORY`) and updates
    nothing, as the code's ``i_iter == 0`` branch. The memory, the iteration counter and whether
    the teacher has its weights are buffers, so ``--resume`` continues exactly.

    **One iteration** (research/peers_dastc_stpl.md A.7):

    0. Source frames histogram-matched to the target frame d (``histogram_matching``).
    1. ``L_sou``: the fused source cross-entropy (main + ``lambda_seg_aux`` aux); source class
       vectors mu^S from the fused main scores where label and argmax agree.
    2. Cross-frame pseudo labels: the teacher (the frozen checkpoint for the first
       ``teacher_iters`` iterations, then the student without gradient) on the weak pair
       (c, a, c -> a), flipped with probability ``flip_prob``; its softmax warped to d with d -> c:
       labels of d at the logit grid (per level) and at the frame size with their confidence;
       the unwarped argmax is the label of c.
    3. The strong view of (d, c) (TPS's; no rescale).
    4. Classes: K_s = 2 random classes of the previous source label of t, plus the whole
       long-tail set; K_t = 2 random classes of the label of d other than those 2; target masks
       = pixels of K_t above ``confidence_threshold``.
    5. Long-tail instances from the bank, in a random window of the source frame of the target's
       size (:class:`~uda_toolbox.models.long_tail_bank.LongTailBank`).
    6. The four-directional mix (:func:`~uda_toolbox.models.clip_mix.quad_mix`): previous source
       and previous target clips pasted on the current source (window) and on the strong target.
    7. Mixed passes at the frame size, the long-tail pixels fused with their own scores instead
       of the warped previous ones: ``L_src_p``, ``L_tar_p`` (``lambda_mix``-weighted).
    8. ``L_trg``: the strong pair against the labels of d (main + aux); target vectors mu^dc.
    9. The clean pair (d, a) with the flow d -> a: vectors mu^da; mu^T = 0.5 mu^dc + 0.5 mu^da.
    10. The MMD of mu^S and mu^T (``mmd``); total as the module docstring; one optimizer step;
        the memory takes this iteration's clips and masks.

    Random draws: torch's global generator (saved by ``RNGStateHook``).

    Args:
        segmentor: A ``TwoFrameSegmentor`` config.
        long_tail_bank: :class:`LongTailBank` arguments (``dataset``, ``index_file``, ``classes``,
            ``per_iteration``, ``min_pixels``, ``class_min_pixels``, ``max_draws``); None: no
            long-tail paste.
        teacher_checkpoint: The frozen teacher's weights (a TPS run's checkpoint); None: the
            student's weights when training starts (the ``load_from`` model: the code starts the
            student from the same TPS checkpoint).
        teacher_iters: Iterations labelled by the frozen teacher (8000); None: the student from
            the start (no teacher is built).
        lambda_target: lambda_T (``_31.py`` VIPER: 0.2 hard-coded; ``_24.py`` SYNTHIA-Seq: 1.0).
        lambda_seg_aux: Auxiliary weight of the source and target cross-entropies (0.1).
        lambda_mix: ``cfg.lamda`` (1.0): the mixed label's weight in ``L_src_p`` / ``L_tar_p``
            (the rest on the unmixed label) and the blend of the pasted source frames.
        mmd: Config of the alignment loss (``ClassMeanMMDLoss``, weight 0.01); None: no alignment.
        source_classes: Random classes of the previous source label (2).
        target_classes: Random classes of the pseudo label of d (2).
        confidence_threshold: Of the target masks (0.9, ``>``).
        frame_c_confidence: See :data:`FRAME_C_CONFIDENCES` (``'logits'``: the code).
        draw_ignore_class: The random source classes are drawn from the label's values including
            ignore (255), as coded, so ignore pixels can be pasted; False: real classes only.
        previous_source_mask: See :data:`PREVIOUS_SOURCE_MASKS`.
        flow_mask_frame: Which frame's mask pastes the flow (``'previous'``: the code's t-1 masks).
        long_tail_mask: See :data:`LONG_TAIL_MASKS`.
        window_rows: (first, last) start row of the mixing window; None: anywhere. VIPER:
            (100, 128) (the code limits rows to 0..640 and always takes its bicycle branch).
        min_class_pixels: Pixels a class needs for a class vector (5).
        temporal_weights: Weights of mu^dc and mu^da (0.5, 0.5; ``tem_weighted = False``).
        label_warp: Warp of the pseudo labels (``Resample2d``: ``'bilinear'``).
        histogram_matching: Match the source to the target frame d (code).
        strong_aug_input, weak_flip, flip_prob, blur_radii, blur_prob, jitter, jitter_prob,
            grayscale_prob: TPS's augmentations (``TwoFrameAdaptorMixin.configure_augmentation``);
            ``_31.py`` (VIPER) sets blur, jitter and grayscale off, ``_24.py`` keeps TPS's.
    """

    def __init__(self, segmentor: dict, long_tail_bank: Optional[dict] = None,
                 teacher_checkpoint: Optional[str] = None, teacher_iters: Optional[int] = 8000,
                 lambda_target: float = 0.2, lambda_seg_aux: float = 0.1, lambda_mix: float = 1.0,
                 mmd: Optional[dict] = dict(type='ClassMeanMMDLoss', loss_weight=0.01),
                 source_classes: int = 2, target_classes: int = 2,
                 confidence_threshold: float = 0.9, frame_c_confidence: str = 'logits',
                 draw_ignore_class: bool = True, previous_source_mask: str = 'label',
                 flow_mask_frame: str = 'previous', long_tail_mask: str = 'sum',
                 window_rows: Optional[Tuple[int, int]] = None, min_class_pixels: int = 5,
                 temporal_weights: Tuple[float, float] = (0.5, 0.5),
                 label_warp: Optional[str] = 'bilinear', histogram_matching: bool = True,
                 strong_aug_input: str = 'original', weak_flip: Optional[str] = 'original',
                 flip_prob: float = 0.5, blur_radii: Sequence[float] = (5, 7, 9),
                 blur_prob: float = 0.6, jitter: Sequence[float] = (0.8, 0.8, 0.8, 0.2),
                 jitter_prob: float = 0.8, grayscale_prob: float = 0.2,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.check_two_frame()
        self.configure_augmentation(strong_aug_input, weak_flip, flip_prob, blur_radii, blur_prob,
                                    jitter, jitter_prob, grayscale_prob)
        for name, value, allowed in (('frame_c_confidence', frame_c_confidence, FRAME_C_CONFIDENCES),
                                     ('previous_source_mask', previous_source_mask,
                                      PREVIOUS_SOURCE_MASKS),
                                     ('flow_mask_frame', flow_mask_frame, FLOW_MASK_FRAMES),
                                     ('long_tail_mask', long_tail_mask, LONG_TAIL_MASKS)):
            if value not in allowed:
                raise ValueError(f'DASTC: {name} must be one of {allowed}, got {value!r}')
        if teacher_iters is not None and teacher_iters < 0:
            raise ValueError(f'DASTC: teacher_iters must be >= 0 or None, got {teacher_iters}')
        self.teacher_checkpoint = teacher_checkpoint
        self.teacher_iters = teacher_iters
        self.teacher: Optional[nn.Module] = None
        if teacher_iters:
            self.teacher = MODELS.build(teacher_config(segmentor))
            self.teacher.requires_grad_(False)
            self.teacher.eval()
        self.bank = LongTailBank(**long_tail_bank) if long_tail_bank else None
        self.mmd = MODELS.build(mmd) if mmd else None
        self.lambda_target = lambda_target
        self.lambda_seg_aux = lambda_seg_aux
        self.lambda_mix = lambda_mix
        self.source_classes = source_classes
        self.target_classes = target_classes
        self.confidence_threshold = confidence_threshold
        self.frame_c_confidence = frame_c_confidence
        self.draw_ignore_class = draw_ignore_class
        self.previous_source_mask = previous_source_mask
        self.flow_mask_frame = flow_mask_frame
        self.long_tail_mask = long_tail_mask
        self.window_rows = window_rows
        self.min_class_pixels = min_class_pixels
        self.temporal_weights = tuple(temporal_weights)
        self.label_warp = label_warp
        self.histogram_matching = histogram_matching
        # Iteration counter (the code's i_iter) and teacher state: saved with the weights.
        self.register_buffer('iteration', torch.tensor(0, dtype=torch.long))
        self.register_buffer('teacher_ready', torch.tensor(False))
        for name in MEMORY:
            self.register_buffer(f'memory_{name}', torch.empty(0))

    # ------------------------------------------------------------------ state
    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """The memory buffers take the saved shapes (they are empty until the first iteration)."""
        for name in MEMORY:
            key = f'{prefix}memory_{name}'
            if key in state_dict:
                saved = state_dict[key]
                setattr(self, f'memory_{name}', torch.empty(saved.shape, dtype=saved.dtype,
                                                            device=self.iteration.device))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def memory(self, name: str) -> Tensor:
        return getattr(self, f'memory_{name}')

    @property
    def memory_filled(self) -> bool:
        return self.memory('target_frames').numel() > 0

    def remember(self, **tensors: Tensor) -> None:
        for name in MEMORY:
            setattr(self, f'memory_{name}', tensors[name].detach().clone())

    def train(self, mode: bool = True) -> 'DASTC':
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()  # the code's model_tps.eval(): running BatchNorm statistics
        return self

    # ------------------------------------------------------------------ teacher
    def uses_frozen_teacher(self) -> bool:
        """Whether this iteration's labels come from the frozen teacher (the code: i_iter < 8000)."""
        return self.teacher is not None and int(self.iteration) < self.teacher_iters

    @torch.no_grad()
    def prepare_teacher(self) -> None:
        """Give the frozen teacher its weights once (a resumed run loads them with the rest)."""
        if self.teacher is None or bool(self.teacher_ready):
            return
        if self.teacher_checkpoint is None:
            self.teacher.load_state_dict(self.segmentor.state_dict())
        else:
            allow_toolbox_checkpoint_globals()
            checkpoint = load_from_local_checked(self.teacher_checkpoint, map_location='cpu')
            state = checkpoint.get('state_dict', checkpoint)
            weights = {k[len('segmentor.'):]: v for k, v in state.items()
                       if k.startswith('segmentor.')}
            try:
                self.teacher.load_state_dict(weights)
            except RuntimeError as exc:
                raise CheckpointError(
                    f'model.teacher_checkpoint={self.teacher_checkpoint!r} does not hold this '
                    'two-frame segmentor under "segmentor." (a TPS run of the same model config '
                    f'does): {str(exc).splitlines()[0]}') from exc
        self.teacher_ready.fill_(True)

    def teacher_scores(self, current: Tensor, previous: Tensor, flow: Tensor) -> Dict[str, Tensor]:
        """Fused scores per level of the labelling model (no gradient)."""
        with torch.no_grad():
            if self.uses_frozen_teacher():
                return self.teacher.forward_pair(current, previous, flow)['fused']
            return self.segment_pair(current, previous, flow)['fused']

    def cross_frame_labels(self, weak: Tuple[Tensor, Tensor, Tensor], flip: bool, flow_dc: Tensor
                           ) -> Dict[str, object]:
        """TPS's cross-frame pseudo labels of d, and the label of c (A.7 step 2).

        Args:
            weak: (c, a, c -> a), flipped when ``flip``.
            flip: Whether the weak pair was flipped (:meth:`flip_weak_pair`).
            flow_dc: d -> c at the frame size (the warp from c to d).
        Returns:
            ``grid``: labels of d per level at the logit grid (for L_trg); ``d``, ``d_conf``: label
            of d at the frame size and its warped softmax confidence; ``c``, ``c_conf``: label of c
            (unwarped argmax) and its confidence (:data:`FRAME_C_CONFIDENCES`).
        """
        consistent = flip and self.weak_flip == 'consistent'
        unflip = (lambda x: x.flip(-1)) if flip and self.weak_flip == 'original' else (lambda x: x)
        size = flow_dc.shape[-2:]
        with torch.no_grad():
            fused = self.teacher_scores(*weak)
            grid = {}
            for level, logits in fused.items():
                probs = logits.softmax(dim=1)
                probs = probs.flip(-1) if consistent else probs
                warped, valid = self.segmentor.propagate(probs, flow_dc, self.label_warp)
                grid[level] = unflip(warped.argmax(dim=1).masked_fill(~valid[:, 0], IGNORE_INDEX))
            scores = self.upsample(fused['main'], size)
            scores = scores.flip(-1) if consistent else scores
            warped, valid = self.segmentor.propagate(scores.softmax(dim=1), flow_dc, self.label_warp)
            d_conf, d = warped.max(dim=1)
            d_conf = d_conf * valid[:, 0]
            c_scores = scores if self.frame_c_confidence == 'logits' else scores.softmax(dim=1)
            c_conf, c = c_scores.max(dim=1)
        return dict(grid=grid, d=unflip(d), d_conf=unflip(d_conf), c=unflip(c), c_conf=unflip(c_conf))

    def target_masks(self, labels: Dict[str, object], excluded: List[Tensor]
                     ) -> Tuple[Tensor, Tensor]:
        """Masks of the confident pixels of K_t in d and c (A.7 step 4); K_t per sample: random
        ``target_classes`` classes of the label of d, other than ``excluded[n]``."""
        masks_d, masks_c = [], []
        for n in range(labels['d'].shape[0]):
            present = torch.unique(labels['d'][n])
            present = present[~torch.isin(present, excluded[n].to(present))]
            chosen = _choose(present, self.target_classes)
            masks_d.append(class_mask(labels['d'][n], chosen)
                           & (labels['d_conf'][n] > self.confidence_threshold))
            masks_c.append(class_mask(labels['c'][n], chosen)
                           & (labels['c_conf'][n] > self.confidence_threshold))
        return torch.stack(masks_d), torch.stack(masks_c)

    # ------------------------------------------------------------------ inputs
    def check_batches(self, source: Batch, target: Batch) -> None:
        if source['inputs'].shape[1] != 2 or target['inputs'].shape[1] != 3:
            raise ValueError('DASTC trains on source clips (t-1, t) and target clips (t-2, t-1, t): '
                             'set num_frames=2 (source) and num_frames=3 (target) in the datasets '
                             f'(configs/da_stc/synthetic.py); got {source["inputs"].shape[1]} and '
                             f'{target["inputs"].shape[1]} frames')
        src, tgt = source['inputs'].shape[-2:], target['inputs'].shape[-2:]
        if src[0] < tgt[0] or src[1] < tgt[1]:
            raise ValueError(f'DASTC mixes windows of the source frames of the target size: the '
                             f'source frames {tuple(src)} must be at least the target frames '
                             f'{tuple(tgt)} (H, W)')

    def frame_flow(self, flow: Tensor, frames: Tensor) -> Tensor:
        """A flow (N, 2, h, w) on the frames' grid (the code resizes the source flow to the frame
        before cropping the window: height scaling)."""
        if flow.shape[-2:] == frames.shape[-2:]:
            return flow
        return resize_flow(flow, frames.shape[-2:], self.segmentor.flow_scaling)

    def draw_window(self, source_size, target_size) -> Tuple[int, int]:
        """Top-left corner of the mixing window: rows in ``window_rows`` (clipped to the frame),
        columns anywhere (``random.randint`` bounds, inclusive)."""
        last_row, last_col = source_size[0] - target_size[0], source_size[1] - target_size[1]
        first, last = self.window_rows if self.window_rows is not None else (0, last_row)
        first, last = min(max(first, 0), last_row), min(max(last, 0), last_row)
        top = int(torch.randint(first, max(first, last) + 1, (1,)))
        left = int(torch.randint(0, last_col + 1, (1,)))
        return top, left

    def source_class_masks(self, labels: Tensor, window: List[Tuple[int, int]], size
                           ) -> Tuple[Tensor, List[Tensor]]:
        """M^s (N, 2, h, w) on the windows of the previous source labels (N, 2, H, W), and the
        random classes drawn per sample (excluded from K_t)."""
        long_tail = torch.tensor(self.bank.classes if self.bank else [], dtype=torch.long,
                                 device=labels.device)
        masks, drawn = [], []
        h, w = size
        for n, (top, left) in enumerate(window):
            values = torch.unique(labels[n, 1])
            if not self.draw_ignore_class:
                values = values[values != IGNORE_INDEX]
            chosen = _choose(values, self.source_classes)
            classes = torch.unique(torch.cat([chosen, long_tail]))
            crop = labels[n, :, top:top + h, left:left + w]
            current = class_mask(crop[1], classes)
            previous = current if self.previous_source_mask == 'frame_t' else class_mask(crop[0], classes)
            masks.append(torch.stack([previous, current]))
            drawn.append(chosen)
        return torch.stack(masks), drawn

    def long_tail_instances(self, window: List[Tuple[int, int]], classes: List[List[int]], size,
                            like: Tensor) -> Optional[Tuple[Tensor, Tensor, Tensor]]:
        """Bank instances per sample: (frames (N, K, 3, h, w) normalised like the inputs, labels
        (N, K, h, w), classes (N, K), -1 where a sample has fewer)."""
        if self.bank is None:
            return None
        h, w = size
        per_sample = []
        for (top, left), wanted in zip(window, classes):
            drawn = [(cls, self.bank.draw(cls, top, left, h, w)) for cls in wanted]
            per_sample.append([(cls, got) for cls, got in drawn if got is not None])
        k = max((len(s) for s in per_sample), default=0)
        if k == 0:
            return None
        n = len(per_sample)
        frames = like.new_zeros((n, k, 3, h, w))
        labels = torch.full((n, k, h, w), IGNORE_INDEX, dtype=torch.long, device=like.device)
        ids = torch.full((n, k), -1, dtype=torch.long, device=like.device)
        stats = preprocessor_stats(self.data_preprocessor)
        for i, sample in enumerate(per_sample):
            for j, (cls, (image, label)) in enumerate(sample):
                frames[i, j] = normalize(image.to(like.device, like.dtype), **stats)
                labels[i, j] = label.to(like.device)
                ids[i, j] = cls
        return frames, labels, ids

    # ------------------------------------------------------------------ passes
    def mixed_scores(self, clip: Dict[str, Tensor], long_tail: Tensor) -> Tensor:
        """The "fusio" pass of a mixed clip (frames (t-1, t)): scores of both frames upsampled to
        the frame size, then fused with the warped previous scores replaced by the current ones
        on the long-tail pixels: ``fusion([P ; (1 - M) W(K) + M P])`` (main classifier only, the
        one the code supervises). Returns (N, C, H, W)."""
        flow = clip['flows'][:, 0]
        out = self.segment_pair(clip['frames'][:, 1], clip['frames'][:, 0], flow, fuse=False)
        size = clip['labels'].shape[-2:]
        current = self.upsample(out['current']['main'], size)
        previous = self.upsample(out['previous']['main'], size)
        warped, valid = self.segmentor.propagate(previous, flow)
        warped = warped * valid.to(warped.dtype)
        mask = long_tail[:, None].to(current.dtype)
        return self.segmentor.fusion(torch.cat([current, warped * (1 - mask) + current * mask], 1))

    def mixed_loss(self, scores: Tensor, mixed_labels: Tensor, plain_labels: Tensor) -> Tensor:
        """``lambda_mix CE(P, mixed) + (1 - lambda_mix) CE(P, plain)`` (the code's ``lam``)."""
        loss = self.lambda_mix * masked_cross_entropy(scores, mixed_labels, self.ignore_index)
        if self.lambda_mix != 1.0:
            loss = loss + (1 - self.lambda_mix) * masked_cross_entropy(scores, plain_labels,
                                                                       self.ignore_index)
        return loss

    def target_vectors(self, scores: Tensor) -> Tensor:
        return class_mean_vectors(scores, scores, self.num_classes, None, self.min_class_pixels)

    # ------------------------------------------------------------------ training
    def train_step(self, data: dict, optim_wrapper) -> Dict[str, Tensor]:
        """One DA-STC iteration; the first one only fills the memory (no update, as coded)."""
        self.prepare_teacher()
        if not self.memory_filled:
            batch = self.data_preprocessor(data, True)
            self.fill_memory(batch['source'], batch['target'])
            self.iteration += 1
            return {}
        log_vars = super().train_step(data, optim_wrapper)
        self.iteration += 1
        return log_vars

    @torch.no_grad()
    def fill_memory(self, source: Batch, target: Batch) -> None:
        """The code's ``i_iter == 0`` branch: the memory from this batch (source as loaded, not
        histogram-matched; teacher labels of the unflipped pair; K_t from the label of d alone)."""
        self.check_batches(source, target)
        d, c, flow_dc = self.pair_of(target, frame=-1, domain='target')
        weak = self.pair_of(target, frame=-2, domain='target')
        flow_dc = self.frame_flow(flow_dc, d)
        labels = self.cross_frame_labels(weak, False, flow_dc)
        excluded = [labels['d'].new_empty(0)] * d.shape[0]
        mask_d, mask_c = self.target_masks(labels, excluded)
        _, _, src_flow = self.pair_of(source, domain='source')
        self.remember(source_frames=source['inputs'], source_labels=source['gt_seg'],
                      source_flow=self.frame_flow(src_flow, source['inputs'][:, -1]),
                      target_frames=torch.stack([c, d], 1),
                      target_labels=torch.stack([labels['c'], labels['d']], 1),
                      target_masks=torch.stack([mask_c, mask_d], 1), target_flow=flow_dc)

    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        self.check_batches(source, target)
        if self.memory('source_frames').shape != source['inputs'].shape or \
                self.memory('target_frames').shape[:2] + self.memory('target_frames').shape[2:] != \
                target['inputs'][:, 1:].shape:
            raise ValueError('DASTC: the batch differs in size from the previous one in the memory '
                             '(batch size and frame sizes must stay fixed during training)')
        losses: Dict[str, Tensor] = {}
        if self.histogram_matching:
            source = self.matched_source(source, target)
        # 1. source supervision and source class vectors
        src = self.fused_source_losses(source, losses, self.lambda_seg_aux)['fused']['main']
        src_labels = labels_on_grid(source['gt_seg'][:, -1], src.shape[-2:])
        mu_source = class_mean_vectors(src, src, self.num_classes, src_labels, self.min_class_pixels)
        # 2-3. weak flip, strong view, window and classes
        d, c, flow_dc = self.pair_of(target, frame=-1, domain='target')
        flow_dc = self.frame_flow(flow_dc, d)
        _, a, flow_ca = self.pair_of(target, frame=-2, domain='target')
        flip, weak = self.flip_weak_pair(c, a, flow_ca)
        d_strong, c_strong = self.strong_view(d, c)
        size = tuple(d.shape[-2:])
        n = d.shape[0]
        long_tail_classes = [self.bank.choose_classes() if self.bank else [] for _ in range(n)]
        window = [self.draw_window(source['inputs'].shape[-2:], size) for _ in range(n)]
        source_masks, drawn = self.source_class_masks(self.memory('source_labels'), window, size)
        # 2. pseudo labels, 4. target masks, 5. long-tail instances
        labels = self.cross_frame_labels(weak, flip, flow_dc)
        mask_d, mask_c = self.target_masks(labels, drawn)
        instances = self.long_tail_instances(window, long_tail_classes, size, d)
        # 6. the four-directional mix
        src_flow = self.frame_flow(source['flows'][:, 0], source['inputs'][:, -1])
        crop = self.window_crop(window, size)
        current_source = dict(frames=crop(source['inputs']), labels=crop(source['gt_seg']),
                              flows=crop(src_flow[:, None]))
        previous_source = dict(frames=crop(self.memory('source_frames')),
                               labels=crop(self.memory('source_labels')),
                               flows=crop(self.memory('source_flow')[:, None]))
        current_target = dict(frames=torch.stack([c_strong, d_strong], 1),
                              labels=torch.stack([labels['c'], labels['d']], 1),
                              flows=flow_dc[:, None])
        previous_target = dict(frames=self.memory('target_frames'),
                               labels=self.memory('target_labels'),
                               flows=self.memory('target_flow')[:, None])
        s_mix, t_mix, long_tail = quad_mix(
            current_source, current_target, previous_source, previous_target, source_masks,
            self.memory('target_masks').bool(), instances, self.lambda_mix, self.flow_mask_frame)
        if self.long_tail_mask == 'union':
            long_tail = (long_tail > 0).long()
        # 7. mixed passes
        losses['loss_mix_src'] = self.mixed_loss(self.mixed_scores(s_mix, long_tail),
                                                 s_mix['labels'][:, 1], current_source['labels'][:, 1])
        losses['loss_mix_tgt'] = self.lambda_target * self.mixed_loss(
            self.mixed_scores(t_mix, long_tail), t_mix['labels'][:, 1], labels['d'])
        # 8. temporal pseudo supervision on the strong pair
        student = self.segment_pair(d_strong, c_strong, flow_dc)['fused']
        for level, scores in student.items():
            grid = labels['grid'][level]
            weight = self.lambda_target * (1.0 if level == 'main' else self.lambda_seg_aux)
            scores = self.upsample(scores, grid.shape[-2:])
            losses[f'loss_tps{level_suffix(level)}'] = weight * masked_cross_entropy(
                scores, grid, self.ignore_index)
            if level == 'main':
                mu_dc = self.target_vectors(scores)
        # 9-10. the second temporal view and the alignment
        if self.mmd is not None:
            flow_da = compose_flows(flow_dc, self.frame_flow(flow_ca, c))
            second = self.segment_pair(d, a, flow_da)['fused']['main']
            mu_da = self.target_vectors(self.upsample(second, labels['grid']['main'].shape[-2:]))
            mu_target = self.temporal_weights[0] * mu_dc + self.temporal_weights[1] * mu_da
            losses['loss_mmd'] = self.mmd(mu_source, mu_target)
        self.remember(source_frames=source['inputs'], source_labels=source['gt_seg'],
                      source_flow=src_flow, target_frames=torch.stack([c, d], 1),
                      target_labels=torch.stack([labels['c'], labels['d']], 1),
                      target_masks=torch.stack([mask_c, mask_d], 1), target_flow=flow_dc)
        return losses

    @staticmethod
    def window_crop(window: List[Tuple[int, int]], size):
        """``crop(x)``: each sample's window of x (N, ..., H, W)."""
        h, w = size

        def crop(x: Tensor) -> Tensor:
            return torch.stack([x[n, ..., top:top + h, left:left + w]
                                for n, (top, left) in enumerate(window)])
        return crop
