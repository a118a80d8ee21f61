"""The adaptor base: a segmentor plus what a UDA method needs, trained one UDA iteration per step."""
import os.path as osp
import warnings
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Union

from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmseg.models.utils import resize
from mmseg.structures import SegDataSample
from torch import Tensor

from uda_toolbox.models.losses import masked_cross_entropy
from uda_toolbox.registry import MODELS

Batch = Dict[str, Tensor]


def _drop_missing_pretrained(segmentor_cfg: dict) -> dict:
    """Warn (instead of failing deep in init) when the backbone's pretrained file is absent.

    No weights can be downloaded on the machines this toolbox targets, so the ImageNet
    file is a local path; without it training starts from random weights.
    """
    backbone = segmentor_cfg.get('backbone', {})
    init_cfg = backbone.get('init_cfg') if isinstance(backbone, dict) else None
    if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
        path = init_cfg.get('checkpoint', '')
        if '://' not in str(path) and not osp.isfile(str(path)):
            warnings.warn(
                f'Backbone weights {path!r} (model.segmentor.backbone.init_cfg.checkpoint) do '
                'not exist: training starts from RANDOM weights. Put the ImageNet checkpoint '
                'there or set the path with --cfg-options '
                'model.segmentor.backbone.init_cfg.checkpoint=/path/to/resnet50.pth',
                stacklevel=3)
            segmentor_cfg = dict(segmentor_cfg)
            segmentor_cfg['backbone'] = dict(backbone, init_cfg=None)
    return segmentor_cfg


class BaseAdaptor(BaseModel, metaclass=ABCMeta):
    """An mmengine model that owns an mmseg segmentor and adapts it to a target domain.

    Training: :meth:`train_step` gets a ``{'source': clips, 'target': clips}`` batch
    (see ``ClipSegDataPreProcessor``) and runs one UDA iteration. Methods with one
    optimizer implement :meth:`loss`; adversarial methods override :meth:`train_step`
    and receive an ``OptimWrapperDict`` with ``segmentor`` and ``discriminator``.

    Inference (val/test) is the segmentor's own ``predict``, so every method costs the
    same at test time (the seed paper: no inference overhead).

    Args:
        segmentor: Config of an mmseg segmentor (e.g. ``EncoderDecoder``).
        data_preprocessor: Config of the data preprocessor (``ClipSegDataPreProcessor``).
        init_cfg: Initialisation config.
    """

    def __init__(self, segmentor: dict, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.segmentor = MODELS.build(_drop_missing_pretrained(segmentor))
        self.num_classes: int = self.segmentor.decode_head.num_classes
        self.ignore_index: int = self.segmentor.decode_head.ignore_index

    # ------------------------------------------------------------------ training
    def train_step(self, data: dict, optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, Tensor]:
        """One UDA iteration for single-optimizer methods: loss, backward, step."""
        data = self.data_preprocessor(data, True)
        wrapper = self.segmentor_optim_wrapper(optim_wrapper)
        with wrapper.optim_context(self):
            losses = self.loss(data['source'], data['target'])
        parsed, log_vars = self.parse_losses(losses)
        wrapper.update_params(parsed)
        return log_vars

    @abstractmethod
    def loss(self, source: Batch, target: Batch) -> Dict[str, Tensor]:
        """Named loss terms of one iteration (logged by name).

        Args:
            source: ``inputs`` (N, T, 3, H, W), ``gt_seg`` (N, T, H, W), optional ``flows``.
            target: the same for the target domain (``gt_seg`` all ignore unless pseudo
                labels or, for the oracle, ground truth are loaded).
        """

    @staticmethod
    def segmentor_optim_wrapper(optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                                ) -> OptimWrapper:
        """The segmentor's optimizer: the wrapper itself, or its ``segmentor`` entry."""
        if isinstance(optim_wrapper, OptimWrapperDict):
            if 'segmentor' not in optim_wrapper:
                raise KeyError('optim_wrapper has no "segmentor" entry: with several optimizers '
                               'name them after the adaptor\'s children (segmentor, '
                               f'discriminator...); got {list(optim_wrapper.keys())}')
            return optim_wrapper['segmentor']
        return optim_wrapper

    def segment(self, frames: Tensor) -> Tensor:
        """Class scores of every frame of a clip batch at input resolution.

        Args:
            frames: (N, T, 3, H, W) normalised frames.
        Returns:
            Logits (N, T, C, H, W), bilinearly upsampled as AdaptSegNet/ADVENT do before
            their losses.
        """
        n, t = frames.shape[:2]
        flat = frames.flatten(0, 1)
        logits = self.segmentor.decode_head(self.segmentor.extract_feat(flat))
        logits = resize(logits, size=flat.shape[-2:], mode='bilinear',
                        align_corners=self.segmentor.align_corners)
        return logits.unflatten(0, (n, t))

    def seg_loss(self, logits: Tensor, labels: Tensor) -> Tensor:
        """Per-frame cross-entropy of (N, T, C, H, W) logits against (N, T, H, W) labels."""
        return masked_cross_entropy(logits.flatten(0, 1), labels.flatten(0, 1), self.ignore_index)

    # ----------------------------------------------------------------- inference
    def forward(self, inputs: Tensor, data_samples: Optional[List[SegDataSample]] = None,
                mode: str = 'tensor'):
        """``predict`` and ``tensor`` modes delegate to the segmentor; training uses train_step."""
        if mode == 'predict':
            return self.segmentor.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.segmentor._forward(inputs, data_samples)
        raise ValueError(f'{type(self).__name__}.forward got mode={mode!r}: adaptors train '
                         'through train_step(); use mode "predict" or "tensor" for inference')

