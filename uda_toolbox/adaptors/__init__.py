"""UDA methods, one per file, each registered in MODELS."""
from .adabn import AdaBN
from .adaptsegnet import AdaptSegNet
from .advent import ADVENT
from .base import AdversarialAdaptor, BaseAdaptor, SelfTrainingAdaptor
from .cbst import CBST
from .crst import CRST
from .iast import IAST
from .minent import MinEnt
from .oracle import Oracle
from .source_only import SourceOnly
from .vat import VAT
from .vst import VST

__all__ = [
    'ADVENT', 'VAT', 'AdaBN', 'AdaptSegNet', 'AdversarialAdaptor', 'BaseAdaptor', 'MinEnt',
    'Oracle', 'SourceOnly', 'CBST', 'CRST', 'IAST', 'VST', 'SelfTrainingAdaptor'
]
