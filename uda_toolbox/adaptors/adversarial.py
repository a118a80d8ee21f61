"""Adversarial adaptors: a segmentor step against frozen discriminators, then a discriminator step.

Shared by AdaptSegNet, ADVENT and VAT (Shin et al. (2021) Eq. 1-2, Eq. 8-9), in mmagic's GAN
pattern: two small steps, each under its own optimizer wrapper (docs/methods/adversarial_training.md).
"""
import copy
from abc import abstractmethod
from typing import Dict, Iterable, Optional, Tuple, Union

import torch.nn as nn
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor

from uda_toolbox.adaptors.base import BaseAdaptor, Batch
from uda_toolbox.models.losses import GAN_TYPES, gan_loss
from uda_toolbox.registry import MODELS

#: Domain labels of the discriminators, as in AdaptSegNet's and ADVENT's code (Shin et al. (2021) Eq. 1 and
#: Eq. 8 write the same game with D(source) -> 1; the two conventions are mirror images).
SOURCE_LABEL = 0.0
TARGET_LABEL = 1.0


def _detached(log_vars: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Logged values without their graph (the step is over)."""
    return {name: value.detach() for name, value in log_vars.items()}


def per_level_discriminators(segmentor: dict, discriminator: dict) -> Dict[str, dict]:
    """One discriminator config per classifier level: ``main``, plus ``aux`` when the segmentor
    config has an auxiliary head (multi-level AdaptSegNet / ADVENT, AdaptSegNet Sec. 3.3)."""
    levels = ('main', 'aux') if segmentor.get('auxiliary_head') else ('main',)
    return {level: discriminator for level in levels}


def set_requires_grad(modules: Union[nn.Module, Iterable[nn.Module]], flag: bool) -> None:
    """Switch ``requires_grad`` of every parameter of ``modules``."""
    for module in [modules] if isinstance(modules, nn.Module) else modules:
        for param in module.parameters():
            param.requires_grad_(flag)


class AdversarialAdaptor(BaseAdaptor):
    """Shared mechanics of the adversarial methods (AdaptSegNet, ADVENT, VAT).

    One iteration is two small steps, as mmagic's GANs do, each under its own optimizer
    wrapper's ``optim_context``:

    1. :meth:`train_segmentor`: every discriminator frozen (``requires_grad=False``), the
       method's :meth:`segmentor_losses` (supervised terms + lambda * :meth:`fool_discriminator`)
       update the segmentor only.
    2. :meth:`train_discriminator`: the maps of step 1, detached, train the discriminators:
       source maps labelled :data:`SOURCE_LABEL` (0), target maps :data:`TARGET_LABEL` (1),
       each term halved as in AdaptSegNet and ADVENT. The segmentor gets no gradient.

    The adversarial term of step 1 scores target maps against the *source* label, so the
    segmentor learns to make target outputs look like source ones (Shin et al. (2021) Eq. 1-2, Eq. 8-9).

    The optimizer wrapper is an ``OptimWrapperDict`` with ``segmentor`` and ``discriminator``
    entries (``MultiOptimWrapperConstructor``; configs/_base_/schedules/*_adversarial.py).

    Args:
        segmentor: Config of the mmseg segmentor.
        discriminators: ``{name: config}`` of the discriminators, kept in the ModuleDict
            ``self.discriminator``; ``in_channels`` defaults to the number of classes.
        gan_type: ``'vanilla'`` (BCE) or ``'lsgan'`` (least squares), see ``gan_loss``.
        data_preprocessor: Config of the data preprocessor.
        init_cfg: Initialisation config.
    """

    def __init__(self, segmentor: dict, discriminators: Dict[str, dict], gan_type: str = 'vanilla',
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(segmentor, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if gan_type not in GAN_TYPES:
            raise ValueError(f'model.gan_type must be one of {GAN_TYPES}, got {gan_type!r}')
        self.gan_type = gan_type
        built = {}
        for name, cfg in discriminators.items():
            cfg = copy.deepcopy(dict(cfg))
            cfg.setdefault('in_channels', self.num_classes)
            built[name] = MODELS.build(cfg)
        self.discriminator = nn.ModuleDict(built)

    @abstractmethod
    def segmentor_losses(self, source: Batch, target: Batch
                         ) -> Tuple[Dict[str, Tensor], Dict[str, Tuple[Tensor, Tensor]]]:
        """The segmentor's named loss terms, and what each discriminator must tell apart.

        Returns:
            ``(losses, disc_inputs)``: ``disc_inputs[name] = (source_maps, target_maps)`` are
            the inputs of ``self.discriminator[name]`` (still attached; they are detached for
            the discriminator step).
        """

    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        """The segmentor's loss terms of one iteration (discriminators as they are)."""
        return self.segmentor_losses(source, target)[0]

    def ddp_modules(self) -> Dict[str, nn.Module]:
        """The segmentor's forward and every discriminator, each its own DDP wrapper: the two
        steps update disjoint parameters, and each step runs only its own wrappers."""
        modules = super().ddp_modules()
        modules.update({f'discriminator.{name}': disc for name, disc in self.discriminator.items()})
        return modules

    def fool_discriminator(self, name: str, target_maps: Tensor) -> Tensor:
        """Adversarial term of the segmentor: target maps scored against the source label.

        The plain discriminator, never its DDP wrapper: it is frozen in the segmentor step, so
        it has no gradient to synchronise (its wrapper would wait for one).
        """
        return gan_loss(self.discriminator[name](target_maps), SOURCE_LABEL, self.gan_type)

    def train_step(self, data: dict, optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One adversarial iteration: segmentor step, then discriminator step."""
        if not isinstance(optim_wrapper, OptimWrapperDict) or 'discriminator' not in optim_wrapper:
            raise TypeError(f'{type(self).__name__} trains two optimizers: optim_wrapper must have '
                            '"segmentor" and "discriminator" entries built by '
                            "constructor='MultiOptimWrapperConstructor' (see "
                            'configs/_base_/schedules/synthetic_adversarial.py)')
        data = self.data_preprocessor(data, True)
        log_vars, disc_inputs = self.train_segmentor(
            data['source'], data['target'], optim_wrapper['segmentor'])
        log_vars.update(self.train_discriminator(disc_inputs, optim_wrapper['discriminator']))
        return log_vars

    def train_segmentor(self, source: Batch, target: Batch, optim_wrapper: OptimWrapper
                        ) -> Tuple[Dict[str, Tensor], Dict[str, Tuple[Tensor, Tensor]]]:
        """Update the segmentor with the discriminators frozen (they receive no gradient)."""
        set_requires_grad(self.discriminator, False)
        try:
            with optim_wrapper.optim_context(self.segmentor):
                losses, disc_inputs = self.segmentor_losses(source, target)
            parsed, log_vars = self.parse_losses(losses)
            optim_wrapper.update_params(parsed)
        finally:
            set_requires_grad(self.discriminator, True)
        return _detached(log_vars), disc_inputs

    def train_discriminator(self, disc_inputs: Dict[str, Tuple[Tensor, Tensor]],
                            optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """Update the discriminators on detached maps (the segmentor receives no gradient)."""
        with optim_wrapper.optim_context(self.discriminator):
            losses = self.discriminator_losses(disc_inputs)
        parsed, log_vars = self.parse_losses(losses)
        self.update_discriminators(parsed, optim_wrapper)
        log_vars['loss_disc'] = log_vars.pop('loss')  # 'loss' stays the segmentor's total
        return _detached(log_vars)

    def discriminator_losses(self, disc_inputs: Dict[str, Tuple[Tensor, Tensor]]
                             ) -> Dict[str, Tensor]:
        """Each discriminator's terms: source maps scored against SOURCE_LABEL, target maps
        against TARGET_LABEL, each halved (AdaptSegNet, ADVENT)."""
        losses = {}
        for name, (source_maps, target_maps) in disc_inputs.items():
            # Through its DDP wrapper when there is one: this step trains it.
            disc = self._ddp.get(f'discriminator.{name}', self.discriminator[name])
            losses[f'loss_disc_{name}_src'] = gan_loss(
                disc(source_maps.detach()), SOURCE_LABEL, self.gan_type) / 2
            losses[f'loss_disc_{name}_tgt'] = gan_loss(
                disc(target_maps.detach()), TARGET_LABEL, self.gan_type) / 2
        return losses

    def update_discriminators(self, loss: Tensor, optim_wrapper: OptimWrapper) -> None:
        """Backward and step of the discriminators' optimizer (a method may clip in between)."""
        optim_wrapper.update_params(loss)
