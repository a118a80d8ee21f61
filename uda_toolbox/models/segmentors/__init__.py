from .two_frame import TwoFrameSegmentor

__all__ = ['TwoFrameSegmentor']
