"""UDA methods, one per file, each registered in MODELS."""
from .base import BaseAdaptor
from .oracle import Oracle
from .source_only import SourceOnly

__all__ = ['BaseAdaptor', 'Oracle', 'SourceOnly']
