"""DAFormer (Hoyer et al., CVPR 2022): DACS self-training with the thing-class ImageNet feature distance.

The rest of the DAFormer recipe lives in its configs: the MiT-B5 encoder with the context-aware
fusion decoder (``configs/_base_/models/daformer_mit_b5.py``), rare-class sampling of the source
clips (``UDADataset(rare_class_sampling=...)``), AdamW with a 10x learning rate on the decoder and
the linear warm-up (``configs/_base_/schedules/*daformer*.py``). docs/methods/daformer.md.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from torch import Tensor

from uda_toolbox.adaptors.base import Batch
from uda_toolbox.adaptors.teacher import DACS_FILTERS, TeacherAdaptor
from uda_toolbox.models.losses import downscale_label_ratio, feature_distance
from uda_toolbox.registry import MODELS
from uda_toolbox.utils.checkpoint import load_from_local_checked
from uda_toolbox.utils.options import with_defaults

#: DAFormer's thing-class feature distance (``dacs_a999_fdthings.py``): weight 0.005, a feature
#: pixel counts when a thing class covers >= 75 % of its block of the source label.
FEATURE_DISTANCE_DEFAULTS = dict(loss_weight=0.005, classes=None, min_ratio=0.75, checkpoint=None)
FIX_HINT = ('Put the ImageNet weights of model.segmentor.backbone there (MiT: SegFormer\'s '
            'mit_b5.pth converted with mmsegmentation\'s tools/model_converters/mit2mmseg.py; '
            'nothing can be downloaded), or train without the feature distance: '
            '--cfg-options model.feature_distance=None (docs/methods/daformer.md).')


def backbone_state_dict(checkpoint: dict) -> Dict[str, Tensor]:
    """The backbone's tensors of a checkpoint: its ``state_dict`` (or the file itself), without
    a ``module.`` prefix and, when keys name it, only what follows ``backbone.`` (so a segmentor
    or adaptor checkpoint works as well as a plain backbone file)."""
    state = checkpoint.get('state_dict', checkpoint)
    state = {key[len('module.'):] if key.startswith('module.') else key: value
             for key, value in state.items() if torch.is_tensor(value)}
    if any('backbone.' in key for key in state):
        state = {key.split('backbone.', 1)[1]: value for key, value in state.items()
                 if 'backbone.' in key and not key.startswith('teacher.')}
    return state


def load_frozen_encoder(backbone: dict, checkpoint: str) -> nn.Module:
    """The backbone built from its config and loaded from a local ImageNet checkpoint, frozen.

    Raises:
        FileNotFoundError: no file at ``checkpoint`` (the message names the config keys and the fix).
        ValueError: the file does not hold this backbone's tensors.
    """
    if not checkpoint or not osp.isfile(str(checkpoint)):
        raise FileNotFoundError(
            f'DAFormer\'s ImageNet feature distance needs a frozen ImageNet encoder, but its weights '
            f'{checkpoint!r} (model.feature_distance.checkpoint, by default '
            f'model.segmentor.backbone.init_cfg.checkpoint) do not exist. {FIX_HINT}')
    encoder = MODELS.build(dict(backbone, init_cfg=None))
    state = backbone_state_dict(load_from_local_checked(str(checkpoint), map_location='cpu'))
    missing, _ = encoder.load_state_dict(state, strict=False)
    if missing:
        raise ValueError(
            f'{checkpoint!r} (model.feature_distance.checkpoint) does not hold the weights of '
            f'model.segmentor.backbone ({type(encoder).__name__}): {len(missing)} of '
            f'{len(encoder.state_dict())} tensors are missing, e.g. {missing[:3]}. {FIX_HINT}')
    encoder.eval()
    encoder.requires_grad_(False)
    return encoder


@MODELS.register_module()
class DAFormer(TeacherAdaptor):
    """DACS's ClassMix self-training (EMA alpha 0.999) plus the thing-class ImageNet feature distance.

    L = L_seg(f(x_s), y_s) + lambda_FD L_FD + L_q(f(x_m), y_m) (DAFormer Sec. 3.1, 3.4), with
    L_FD = mean over thing-class positions of || F_theta(x_s) - F_ImageNet(x_s) ||_2 on the
    encoder's last feature level, F_ImageNet the frozen ImageNet encoder (the student's own
    initial weights). A position of the h x w feature map is a thing position when one of
    ``classes`` covers >= ``min_ratio`` of the matching block of the source label.

    The frozen encoder is loaded from a local file when training starts (``init_weights``, or
    the first step) and is not part of the state dict: checkpoints stay the size of the student
    and teacher, and inference (tools/test.py) does not need the file.

    Args:
        segmentor: Config of the mmseg segmentor (DAFormer: MiT-B5 + ``DAFormerHead``; no neck).
        ema_alpha: EMA coefficient (0.999, DAFormer).
        feature_distance: None (off) or options: ``loss_weight`` (0.005), ``classes`` (the
            thing classes' ids; None: every position), ``min_ratio`` (0.75), ``checkpoint`` (the
            ImageNet weights; None: ``segmentor.backbone.init_cfg.checkpoint``).
        pseudo_label_filters, strong_augmentation, class_pool, mic, data_preprocessor, init_cfg:
            See :class:`TeacherAdaptor`.
    """

    def __init__(self, segmentor: dict, ema_alpha: Optional[float] = 0.999,
                 feature_distance: Optional[dict] = FEATURE_DISTANCE_DEFAULTS,
                 pseudo_label_filters: Sequence = DACS_FILTERS,
                 strong_augmentation: Optional[dict] = None, class_pool: str = 'image',
                 mic: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(segmentor, ema_alpha=ema_alpha, pseudo_label_filters=pseudo_label_filters,
                         strong_augmentation=strong_augmentation, class_pool=class_pool, mic=mic,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.feature_distance = None
        if feature_distance is not None:
            options = with_defaults('model.feature_distance', feature_distance,
                                    FEATURE_DISTANCE_DEFAULTS)
            if segmentor.get('neck'):
                raise ValueError('model.feature_distance compares backbone features; a segmentor '
                                 'with a neck is not supported (set model.feature_distance=None)')
            if options['checkpoint'] is None:
                init_cfg_of_backbone = segmentor['backbone'].get('init_cfg') or {}
                options['checkpoint'] = init_cfg_of_backbone.get('checkpoint')
            self.feature_distance = options
        self._backbone_cfg = dict(segmentor['backbone'])
        # A list, not a child module: frozen, loaded from its file, kept out of the state dict.
        self._imagenet_encoder: List[nn.Module] = []

    def init_weights(self) -> None:
        """mmengine's runner calls this before training: load the frozen encoder now, so a
        missing file stops the run before its first step."""
        super().init_weights()
        if self.feature_distance is not None:
            self.imagenet_encoder()

    def imagenet_encoder(self) -> nn.Module:
        """The frozen ImageNet encoder, loaded on first use, on the student's device."""
        if not self._imagenet_encoder:
            self._imagenet_encoder.append(
                load_frozen_encoder(self._backbone_cfg, self.feature_distance['checkpoint']))
        encoder = self._imagenet_encoder[0]
        device = next(self.segmentor.parameters()).device
        if next(encoder.parameters()).device != device:
            encoder.to(device)
        return encoder

    def feature_distance_loss(self, frames: Tensor, labels: Tensor,
                              features: List[Tensor]) -> Tensor:
        """lambda_FD * L_FD (DAFormer Sec. 3.4, ``calc_feat_dist``) of the source frames' last feature level.

        Args:
            frames: (N, T, 3, H, W) source frames.
            labels: (N, T, H, W) their labels.
            features: The student's backbone outputs of the same forward.
        """
        student = features[-1]
        with torch.no_grad():
            reference = self.imagenet_encoder()(frames.flatten(0, 1))[-1]
        options = self.feature_distance
        mask = None
        if options['classes'] is not None:
            flat = labels.flatten(0, 1)
            factor = flat.shape[-1] // student.shape[-1]
            votes = downscale_label_ratio(flat, factor, options['min_ratio'], self.num_classes,
                                          self.ignore_index)
            if votes.shape[-2:] != student.shape[-2:]:
                raise ValueError(f'feature distance: labels {tuple(flat.shape[-2:])} do not tile '
                                 f'the features {tuple(student.shape[-2:])}; use crops whose '
                                 'sides are multiples of the backbone\'s output stride')
            classes = torch.as_tensor(list(options['classes']), device=votes.device)
            mask = torch.isin(votes, classes)
        return options['loss_weight'] * feature_distance(student, reference, mask)

    def student_losses(self, source: Batch, target: Batch, labels: Tensor, weights: Tensor
                       ) -> Dict[str, Tensor]:
        logits, features = self.segment_with_features(source['inputs'])
        losses = dict(loss_seg_src=self.pixel_loss(logits, source['gt_seg']))
        if self.feature_distance is not None:
            losses['loss_feat_dist'] = self.feature_distance_loss(
                source['inputs'], source['gt_seg'], features)
        losses['loss_seg_mix'] = self.class_mix_loss(source, target, labels, weights)
        return losses
