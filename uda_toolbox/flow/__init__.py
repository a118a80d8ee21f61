"""Optical flow: estimators (registry ``FLOW_ESTIMATORS``) and flow-file reading and writing.

Warping with a flow lives in ``uda_toolbox.utils.warp`` (the bottom layer), because the
pseudo-label code needs it too and may not import this package.
"""
from .estimators import BaseFlowEstimator, FarnebackFlow, OpenCVDISFlow
from .files import read_flow, write_flo, write_flow

__all__ = ['BaseFlowEstimator', 'FarnebackFlow', 'OpenCVDISFlow', 'read_flow', 'write_flo',
           'write_flow']
