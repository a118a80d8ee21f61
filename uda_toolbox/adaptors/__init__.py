"""UDA methods, one per file, each registered in MODELS."""
from .adabn import AdaBN
from .adaptsegnet import AdaptSegNet
from .advent import ADVENT
from .adversarial import AdversarialAdaptor
from .base import BaseAdaptor
from .cbst import CBST
from .crst import CRST
from .da_stc import DASTC
from .da_vsn import DAVSN
from .dacs import DACS
from .daformer import DAFormer
from .hcl import HCL
from .iast import IAST
from .minent import MinEnt
from .oracle import Oracle
from .self_training import IASTRegularizedAdaptor, SelfTrainingAdaptor
from .shot import SHOT
from .source_free import SourceFreeAdaptor
from .source_only import SourceOnly
from .stpl import STPL
from .teacher import TeacherAdaptor
from .tps import TPS
from .two_frame import TwoFrameAdaptorMixin
from .urma import URMA
from .vat import VAT
from .vst import VST

__all__ = [
    'ADVENT', 'VAT', 'AdaBN', 'AdaptSegNet', 'AdversarialAdaptor', 'BaseAdaptor', 'MinEnt',
    'Oracle', 'SourceOnly', 'CBST', 'CRST', 'IAST', 'IASTRegularizedAdaptor', 'VST',
    'SelfTrainingAdaptor', 'DAVSN', 'DASTC', 'TPS', 'TwoFrameAdaptorMixin', 'SourceFreeAdaptor', 'SHOT',
    'URMA', 'HCL', 'STPL', 'DACS', 'DAFormer', 'TeacherAdaptor'
]
