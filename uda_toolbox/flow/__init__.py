"""Optical flow estimators (registry ``FLOW_ESTIMATORS``).

Flow files are read and written by ``uda_toolbox.utils.flow_io`` and warping lives in
``uda_toolbox.utils.warp`` (the bottom layer), because datasets and pseudo-label code need them too.
"""
from .estimators import BaseFlowEstimator, FarnebackFlow, OpenCVDISFlow

__all__ = ['BaseFlowEstimator', 'FarnebackFlow', 'OpenCVDISFlow']
