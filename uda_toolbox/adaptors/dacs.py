"""DACS (Tranheden et al., WACV 2021): domain adaptation via cross-domain mixed sampling."""
from typing import Dict, Optional, Sequence

from torch import Tensor

from uda_toolbox.adaptors.base import Batch
from uda_toolbox.adaptors.teacher import DACS_FILTERS, TeacherAdaptor
from uda_toolbox.registry import MODELS


@MODELS.register_module()
class DACS(TeacherAdaptor):
    """Source cross-entropy plus ClassMix self-training against an EMA teacher (DACS Sec. 3).

    L = L_seg(f(x_s), y_s) + L_q(f(x_m), y_m), where x_m pastes the pixels of half the classes
    of the source image onto the target image, y_m pastes the source labels onto the teacher's
    pseudo labels, and L_q weighs the pseudo-labelled pixels by q, the share of target pixels the
    teacher predicts with confidence >= 0.968 (pasted source pixels weigh 1). The mixed image is
    colour-jittered and blurred. Teacher, labels and mixing: :class:`TeacherAdaptor`; every
    frame of a clip is an image. ``mic=dict(...)`` adds Masked Image Consistency.

    Args:
        segmentor: Config of the mmseg segmentor (DACS: DeepLabv2).
        ema_alpha: EMA coefficient (0.99: DACS and DAFormer's ``dacs.py``).
        pseudo_label_filters: The teacher's label filters (q-weighting at 0.968).
        strong_augmentation, class_pool, mic, data_preprocessor, init_cfg: See
            :class:`TeacherAdaptor`.
    """

    def __init__(self, segmentor: dict, ema_alpha: Optional[float] = 0.99,
                 pseudo_label_filters: Sequence = DACS_FILTERS,
                 strong_augmentation: Optional[dict] = None, class_pool: str = 'image',
                 mic: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(segmentor, ema_alpha=ema_alpha, pseudo_label_filters=pseudo_label_filters,
                         strong_augmentation=strong_augmentation, class_pool=class_pool, mic=mic,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)

    def student_losses(self, source: Batch, target: Batch, labels: Tensor, weights: Tensor
                       ) -> Dict[str, Tensor]:
        return dict(
            loss_seg_src=self.pixel_loss(self.segment(source['inputs']), source['gt_seg']),
            loss_seg_mix=self.class_mix_loss(source, target, labels, weights))
