"""VST, Shin et al. (2021)'s video self-training (Sec. 4.4, Eq. 10-14, Algorithm 1, Tables 4 and 6)."""
from typing import Optional

import torch
from torch import Tensor

from uda_toolbox.adaptors.base import Batch
from uda_toolbox.adaptors.self_training import IASTRegularizedAdaptor
from uda_toolbox.pseudo_labels.temporal import consensus_cutout, consensus_fillin
from uda_toolbox.registry import MODELS
from uda_toolbox.utils.normalize import denormalize, preprocessor_stats
from uda_toolbox.utils.warp import DEFAULT_CONSISTENCY_ALPHA, DEFAULT_CONSISTENCY_THRESHOLD

REFINEMENTS = (None, 'cutout', 'fillin')


@MODELS.register_module()
class VST(IASTRegularizedAdaptor):
    """Video self-training on both frames of a target clip (Shin et al. (2021) Eq. 13).

        L_VST = sum_{l = t, t - tau} L_seg(P_l, RF(y^_l)) + lambda_reg * L_reg(P_l, RF(y^_l))

    The pseudo labels y^ come from ``PseudoLabelHook`` rounds: clip-adaptive thresholds (Eq. 11,
    ``ClipAdaptivePolicy`` with ``instance='clip'``) on temporally aggregated predictions (Eq. 10,
    the hook's ``aggregate``). Inside the step, RF refines them online with the target clip's
    optical flow (``LoadClipFlow`` in the target pipeline):

    * ``refine='cutout'`` (Eq. 12, the paper's VST): the label of frame t - tau is warped onto
      frame t (nearest) and frame t keeps its label only where the two agree;
    * ``refine='fillin'`` (Eq. 14, Table 6's alternative): pixels of frame t without a label take
      the warped label of frame t - tau where the warp is not occluded (Eq. 10's test);
    * ``refine=None``: the labels as written (Table 4 rows without "Ref.", Table 6 "Base").

    Frame t - tau is refined the same way against frame t when ``refine_both_frames`` (the sum
    of Eq. 13 runs over both frames), with the flow from t - tau to t on frame t - tau's grid
    (``LoadClipFlow(with_forward=True)``: the ``_fw`` file of frame t - tau). Where that flow
    does not exist, ``negated_flow_fallback=True`` stands in the negated flow of frame t
    sampled at the same pixels, an approximation that is exact only where the flow is locally
    constant: on a moving object it compares the object's trailing pixels with the background
    (and cuts them) and leaves the background the object covers at t unchecked
    (docs/methods/vst.md, "Refining frame t - tau").

    L_reg is IAST's regulariser (entropy on ignored pixels, KLD on labelled ones). Eq. 13 of
    Shin et al. (2021) has no source term, so ``lambda_seg_s`` defaults to 0.

    Table 4 / Table 6 switches: the policy, ``instance`` and ``aggregate`` of the hook, and
    ``lambda_reg`` (0 = no "Reg.") and ``refine`` here; see configs/vst/ and docs/methods/vst.md.

    Args:
        segmentor: Config of the mmseg segmentor.
        refine: ``'cutout'``, ``'fillin'`` or None (off).
        refine_both_frames: Also refine frame t - tau (against frame t).
        negated_flow_fallback: Without the flow from t - tau to t in the batch, refine frame
            t - tau with the negated flow of frame t (see above) instead of raising an error.
        keep_out_of_bounds: Cut-out keeps the label of a pixel whose flow leaves the reference
            frame (no consensus can be checked there); default: cut out too.
        consistency_alpha, consistency_th: Occlusion test of the fill-in (Eq. 10's alpha, th).
        lambda_seg_s: Weight of the source cross-entropy (0: Eq. 13).
        lambda_seg_t: Weight of the pseudo-label cross-entropy.
        lambda_reg: Weight of the IAST regulariser (0 switches it off).
        ent_weight, kld_weight: IAST's weights of its two terms (3.0, 0.1).
        frame_reduction: ``'sum'`` (Eq. 13: each term is the frame's own mean, summed over the
            two frames) or ``'pooled'`` (one mean over both frames' pixels, which weighs a frame
            by its number of labelled pixels; the toolbox before issue 16).
        data_preprocessor, init_cfg: As :class:`BaseAdaptor`.
    """

    def __init__(self, segmentor: dict, refine: str = 'cutout', refine_both_frames: bool = True,
                 negated_flow_fallback: bool = False, keep_out_of_bounds: bool = False,
                 consistency_alpha: float = DEFAULT_CONSISTENCY_ALPHA,
                 consistency_th: float = DEFAULT_CONSISTENCY_THRESHOLD,
                 lambda_seg_s: float = 0.0, lambda_seg_t: float = 1.0, lambda_reg: float = 1.0,
                 ent_weight: float = 3.0, kld_weight: float = 0.1, frame_reduction: str = 'sum',
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        if refine not in REFINEMENTS:
            raise ValueError(f'VST: refine must be one of {REFINEMENTS}, got {refine!r} '
                             '(model.refine in the config)')
        super().__init__(segmentor, lambda_seg_s=lambda_seg_s, lambda_seg_t=lambda_seg_t,
                         lambda_reg=lambda_reg, ent_weight=ent_weight, kld_weight=kld_weight,
                         frame_reduction=frame_reduction, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.refine = refine
        self.refine_both_frames = refine_both_frames
        self.negated_flow_fallback = negated_flow_fallback
        self.keep_out_of_bounds = keep_out_of_bounds
        self.consistency_alpha = consistency_alpha
        self.consistency_th = consistency_th

    @torch.no_grad()
    def target_labels(self, target: Batch) -> Tensor:
        """RF(y^) of every frame (Eq. 12 or 14), (N, T, H, W); frame k's reference is k - 1 and
        frame 0's is frame 1 (with ``refine_both_frames``)."""
        labels = target['gt_seg']
        if self.refine is None or labels.shape[1] < 2:
            return labels
        flows = target.get('flows')
        if flows is None:
            raise ValueError("VST(refine='cutout'/'fillin') needs the target clip's optical flow: "
                             "add dict(type='LoadClipFlow') to the target pipeline (after "
                             'LoadClipAnnotations) and set its data_prefix.flow_path.')
        frames = self._unit_frames(target['inputs']) if self.refine == 'fillin' else None
        refined = [labels[:, 0]]
        for k in range(1, labels.shape[1]):
            # flows[:, k - 1] is the flow from frame k to frame k - 1 (LoadClipFlow).
            refined.append(self._refine(labels[:, k], labels[:, k - 1], flows[:, k - 1], frames, k,
                                        k - 1))
        if self.refine_both_frames:
            refined[0] = self._refine(labels[:, 0], labels[:, 1], self._flow_to_next(target),
                                      frames, 0, 1)
        return torch.stack(refined, dim=1)

    def _flow_to_next(self, target: Batch) -> Tensor:
        """Flow from frame 0 to frame 1 on frame 0's grid, (N, 2, H, W)."""
        flows_fw = target.get('flows_fw')
        if flows_fw is not None:
            return flows_fw[:, 0]  # LoadClipFlow(with_forward=True): frame k -> k + 1
        if not self.negated_flow_fallback:
            raise ValueError(
                'VST(refine_both_frames=True) refines frame t - tau with the flow from t - tau to '
                't: load it with dict(type=\'LoadClipFlow\', with_forward=True) in the target '
                'pipeline (tools/data/compute_flow.py writes the _fw files). Without such flow, '
                'set model.negated_flow_fallback=True to use the negated flow of frame t (an '
                'approximation, docs/methods/vst.md) or model.refine_both_frames=False.')
        return -target['flows'][:, 0]

    def _refine(self, label: Tensor, ref: Tensor, flow: Tensor, frames: Optional[Tensor],
                k: int, r: int) -> Tensor:
        if self.refine == 'cutout':
            return consensus_cutout(label, ref, flow, self.ignore_index,
                                    keep_out_of_bounds=self.keep_out_of_bounds)
        return consensus_fillin(label, ref, flow, frames[:, k], frames[:, r],
                                self.consistency_alpha, self.consistency_th, self.ignore_index)

    def _unit_frames(self, inputs: Tensor) -> Tensor:
        """Normalised (N, T, 3, H, W) frames back to [0, 1] for the occlusion test."""
        stats = preprocessor_stats(self.data_preprocessor)
        frames = denormalize(inputs, stats['mean'], stats['std'])
        return (frames / 255.0).clamp(0, 1)
