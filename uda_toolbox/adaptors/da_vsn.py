"""DA-VSN (Guan et al., ICCV 2021): temporal consistency regularisation, cross-domain and intra-domain.

Faithful to the official code (Dayan-Guan/DA-VSN @ d110ff7, ``davsn/domain_adaptation/
train_video_UDA.py``, ``train_DAVSN``), read as research/peers_davsn_tps.md section 5 describes it.
Equations, hyper-parameters and the choices we made: docs/methods/da_vsn.md.
"""
import copy
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from torch import Tensor

from uda_toolbox.adaptors.adversarial import AdversarialAdaptor
from uda_toolbox.adaptors.base import Batch
from uda_toolbox.adaptors.two_frame import TwoFrameAdaptorMixin, level_suffix
from uda_toolbox.models.losses import self_information_map
from uda_toolbox.registry import MODELS


def joint_softmax(first: Tensor, second: Tensor) -> Tensor:
    """Softmax over the 2C channels of ``[first ; second]`` (N, 2C, H, W).

    DA-VSN stacks the scores of two frames and calls ``F.softmax`` without ``dim``, which
    resolves to dim 1 of the stacked 4-D tensor: one distribution over 2C channels, not two
    per-frame softmaxes (research/peers_davsn_tps.md section 5.1, step 5).
    """
    return torch.cat([first, second], dim=1).softmax(dim=1)


def normalised_entropy(probs: Tensor) -> Tensor:
    """DA-VSN's entropy map: ``mean_c(-p_c log2 p_c) / log2 C`` (ADVENT's ``prob_2_entropy``
    averaged over classes), (N, C, H, W) -> (N, 1, H, W)."""
    return self_information_map(probs).mean(dim=1, keepdim=True)


def intra_tcr_loss(current_logits: Tensor, previous_logits: Tensor, propagate) -> Tensor:
    """Intra-domain temporal consistency regularisation (DA-VSN's ``loss_itcr``).

    With p = softmax(scores of t), q = softmax(scores of t-1), E the :func:`normalised_entropy`,
    and (q~, E~, M) = q and E(q) propagated to frame t with their hole mask M::

        W = M * 1[E~ < E(p)]            (t-1 more confident than t where it lands)
        L = mean_{n,c,h,w}( W * |p - q~| )

    The weight is computed without gradient; the gradient reaches p only. The original's mask is
    the sum over classes of the splatted probabilities (1 up to float rounding where written).

    Args:
        current_logits: (N, C, h, w) scores of frame t (with gradient).
        previous_logits: (N, C, h, w) scores of frame t-1.
        propagate: ``values (N, K, h, w) -> (values on frame t, mask (N, 1, h, w))``, e.g.
            ``TwoFrameSegmentor.propagate`` with the flow bound.
    """
    p = current_logits.softmax(dim=1)
    with torch.no_grad():
        q = previous_logits.softmax(dim=1)
        moved, mask = propagate(torch.cat([q, normalised_entropy(q)], dim=1))
        q_moved, entropy_moved = moved[:, :-1], moved[:, -1:]
        weight = mask.to(p.dtype) * (entropy_moved < normalised_entropy(p)).to(p.dtype)
    return (weight * (p - q_moved).abs()).mean()


def weight_discrepancy_loss(first: nn.Module, second: nn.Module) -> Tensor:
    """DA-VSN's weight discrepancy of two discriminators: mean over their K parameter tensors of
    ``cos(vec theta_k, vec theta'_k) + 1`` (0 when every pair points in opposite directions)."""
    terms = []
    for a, b in zip(first.parameters(), second.parameters()):
        a, b = a.reshape(-1), b.reshape(-1)
        terms.append(torch.dot(a, b) / (a.norm() * b.norm()) + 1)
    if not terms:
        raise ValueError('weight_discrepancy_loss: the discriminators have no parameters')
    return torch.stack(terms).mean()


@MODELS.register_module()
class DAVSN(TwoFrameAdaptorMixin, AdversarialAdaptor):
    """DA-VSN on the two-frame flow-fusion segmentor (warp ``'splat'`` in its configs).

    One iteration (``train_DAVSN``):

    1. Source: cross-entropy of the fused outputs on frame t (main + ``lambda_seg_aux`` aux).
    2. Target pair: scores P (frame t, gradient) and K (t-1, no gradient); the fused target
       output is not used.
    3. Intra-domain TCR (:func:`intra_tcr_loss`) per level, weighted ``lambda_target`` each (the
       auxiliary level is not down-weighted, as coded).
    4. Cross-domain TCR: per level, a spatio-temporal discriminator on
       ``joint_softmax(up(P), up(K))`` and a spatial one on ``joint_softmax(up(P), up(P))``, the
       scores upsampled to the input size; the segmentor fools both (source label 0) with weights
       ``lambda_target * [1, lambda_adv_aux_ratio]`` (sta) and the same times ``lambda_sa`` (sa).
    5. Discriminators: 1/2 BCE(source, 0) + 1/2 BCE(target, 1) each, plus
       ``lambda_target * lambda_wd`` times the :func:`weight_discrepancy_loss` of each level's
       (sta, sa) pair, which pushes the two discriminators' weights apart.
    6. Gradient norms clipped to 1: the segmentor's (``clip_grad`` of its optimizer wrapper in
       the configs) and each discriminator's separately (``disc_max_grad_norm``).

    Args:
        segmentor: A ``TwoFrameSegmentor`` config.
        discriminator: Config of each of the (2 or 4) discriminators; ``in_channels`` is set to
            2C from the segmentor.
        lambda_seg_aux: Auxiliary source cross-entropy weight (``LAMBDA_SEG_AUX`` 0.1).
        lambda_target: Weight of every target term (``lamda_u`` 0.001).
        lambda_sa: Extra weight of the spatial discriminator's term (``lamda_sa`` 1.0).
        lambda_wd: Weight-discrepancy weight, times ``lambda_target`` (``lamda_wd`` 1.0).
        lambda_adv_aux_ratio: Auxiliary adversarial weight relative to main
            (``LAMBDA_ADV_AUX / LAMBDA_ADV_MAIN`` = 0.0002 / 0.001 = 0.2).
        intra_tcr: Include the intra-domain TCR (the TPS repository's first DA-VSN
            re-implementation had none).
        disc_max_grad_norm: Per-discriminator gradient clipping (1); None: no clipping.
        gan_type: ``'vanilla'`` (BCE, the code) or ``'lsgan'``.
    """

    def __init__(self, segmentor: dict, discriminator: dict = dict(type='FCDiscriminator'),
                 lambda_seg_aux: float = 0.1, lambda_target: float = 0.001, lambda_sa: float = 1.0,
                 lambda_wd: float = 1.0, lambda_adv_aux_ratio: float = 0.2, intra_tcr: bool = True,
                 disc_max_grad_norm: Optional[float] = 1.0, gan_type: str = 'vanilla',
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(segmentor, {}, gan_type=gan_type, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.check_two_frame()
        self.levels = ('main', 'aux') if self.segmentor.with_auxiliary_head else ('main',)
        for level in self.levels:
            for kind in ('sta', 'sa'):
                cfg = copy.deepcopy(dict(discriminator))
                cfg['in_channels'] = 2 * self.num_classes  # [scores_t ; scores_t-1 or t]
                self.discriminator[f'{kind}_{level}'] = MODELS.build(cfg)
        self.lambda_seg_aux = lambda_seg_aux
        self.lambda_target = lambda_target
        self.lambda_sa = lambda_sa
        self.lambda_wd = lambda_wd
        self.level_weight = dict(main=1.0, aux=lambda_adv_aux_ratio)
        self.intra_tcr = intra_tcr
        self.disc_max_grad_norm = disc_max_grad_norm

    def segmentor_losses(self, source: Batch, target: Batch
                         ) -> Tuple[Dict[str, Tensor], Dict[str, Tuple[Tensor, Tensor]]]:
        losses: Dict[str, Tensor] = {}
        src = self.fused_source_losses(source, losses, self.lambda_seg_aux)
        current, previous, flow = self.pair_of(target, domain='target')
        tgt = self.segment_pair(current, previous, flow, fuse=False)
        src_size, tgt_size = source['inputs'].shape[-2:], current.shape[-2:]
        disc_inputs = {}
        for level in self.levels:
            suffix = level_suffix(level)
            if self.intra_tcr:
                losses[f'loss_itcr{suffix}'] = self.lambda_target * intra_tcr_loss(
                    tgt['current'][level], tgt['previous'][level],
                    lambda values: self.segmentor.propagate(values, flow))
            # The originals upsample the stacked scores, then take the joint softmax.
            src_cur, tgt_cur = (self.upsample(src['current'][level], src_size),
                                self.upsample(tgt['current'][level], tgt_size))
            src_prev, tgt_prev = (self.upsample(src['previous'][level], src_size),
                                  self.upsample(tgt['previous'][level], tgt_size))
            pairs = dict(sta=(joint_softmax(src_cur, src_prev), joint_softmax(tgt_cur, tgt_prev)),
                         sa=(joint_softmax(src_cur, src_cur), joint_softmax(tgt_cur, tgt_cur)))
            for kind, (src_map, tgt_map) in pairs.items():
                weight = self.lambda_target * self.level_weight[level] * (
                    self.lambda_sa if kind == 'sa' else 1.0)
                losses[f'loss_adv_{kind}{suffix}'] = weight * self.fool_discriminator(
                    f'{kind}_{level}', tgt_map)
                disc_inputs[f'{kind}_{level}'] = (src_map, tgt_map)
        return losses, disc_inputs

    def discriminator_losses(self, disc_inputs: Dict[str, Tuple[Tensor, Tensor]]
                             ) -> Dict[str, Tensor]:
        losses = super().discriminator_losses(disc_inputs)
        for level in self.levels:
            losses[f'loss_wd{level_suffix(level)}'] = self.lambda_target * self.lambda_wd * \
                weight_discrepancy_loss(self.discriminator[f'sta_{level}'],
                                        self.discriminator[f'sa_{level}'])
        return losses

    def update_discriminators(self, loss: Tensor, optim_wrapper: OptimWrapper) -> None:
        """Backward, clip each discriminator's gradient norm on its own (DA-VSN's four
        ``clip_grad_norm_`` calls), step."""
        if self.disc_max_grad_norm is None:
            return super().update_discriminators(loss, optim_wrapper)
        optim_wrapper.backward(loss)
        if optim_wrapper.should_update():
            if isinstance(optim_wrapper, AmpOptimWrapper):
                optim_wrapper.loss_scaler.unscale_(optim_wrapper.optimizer)
            for disc in self.discriminator.values():
                nn.utils.clip_grad_norm_(disc.parameters(), self.disc_max_grad_norm)
            optim_wrapper.step()
            optim_wrapper.zero_grad()
