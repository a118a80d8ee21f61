"""Optical-flow estimators (registry ``FLOW_ESTIMATORS``), all OpenCV, CPU only.

Every estimator is a callable ``estimator(frame_a, frame_b) -> flow (H, W, 2) float32`` taking
two (H, W, 3) uint8 BGR frames and returning the flow from a to b in the toolbox's convention:
the scene point at pixel p of ``frame_a`` is at p + flow(p) in ``frame_b`` (so warping
``frame_b`` with this flow reproduces ``frame_a``). Shin et al. (2021) used FlowNet 2.0; DIS
(Kroeger et al., ECCV 2016) is the default here because it needs no weights and runs on a CPU.
"""
import cv2
import numpy as np

from uda_toolbox.registry import FLOW_ESTIMATORS

DIS_PRESETS = {
    'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
    'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def _to_gray(frame: np.ndarray, name: str) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim not in (2, 3):
        raise ValueError(f'{name} must be a uint8 (H, W, 3) BGR or (H, W) gray frame, got dtype '
                         f'{frame.dtype} and shape {frame.shape}')
    if frame.ndim == 2:
        return np.ascontiguousarray(frame)
    if frame.shape[2] != 3:
        raise ValueError(f'{name} must have 3 (BGR) channels, got shape {frame.shape}')
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def _gray_pair(frame_a: np.ndarray, frame_b: np.ndarray):
    gray_a, gray_b = _to_gray(frame_a, 'frame_a'), _to_gray(frame_b, 'frame_b')
    if gray_a.shape != gray_b.shape:
        raise ValueError(f'frame_a {gray_a.shape} and frame_b {gray_b.shape} must have the same size')
    return gray_a, gray_b


class BaseFlowEstimator:
    """Callable flow estimator; subclasses implement :meth:`estimate` on two gray frames."""

    def __call__(self, frame_a: np.ndarray, frame_b: np.ndarray) -> np.ndarray:
        """Flow (H, W, 2) float32 from ``frame_a`` to ``frame_b`` (uint8 BGR or gray frames)."""
        gray_a, gray_b = _gray_pair(frame_a, frame_b)
        return np.ascontiguousarray(self.estimate(gray_a, gray_b), dtype=np.float32)

    def estimate(self, gray_a: np.ndarray, gray_b: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@FLOW_ESTIMATORS.register_module()
class OpenCVDISFlow(BaseFlowEstimator):
    """Dense Inverse Search flow (OpenCV), the toolbox's default estimator.

    Args:
        preset: ``'ultrafast'``, ``'fast'`` or ``'medium'`` (OpenCV's presets; medium is the most
            accurate of the three).
        variational_refinement: Keep OpenCV's variational refinement step (all presets enable it).
    """

    def __init__(self, preset: str = 'medium', variational_refinement: bool = True) -> None:
        if preset not in DIS_PRESETS:
            raise ValueError(f'OpenCVDISFlow preset must be one of {sorted(DIS_PRESETS)}, got {preset!r}')
        self.preset = preset
        self.variational_refinement = variational_refinement
        self._dis = None  # built lazily: cv2 objects do not pickle into dataloader workers

    def estimate(self, gray_a: np.ndarray, gray_b: np.ndarray) -> np.ndarray:
        if self._dis is None:
            self._dis = cv2.DISOpticalFlow_create(DIS_PRESETS[self.preset])
            if not self.variational_refinement:
                self._dis.setVariationalRefinementIterations(0)
        # OpenCV's convention matches ours: gray_a(p) ~ gray_b(p + flow(p)).
        return self._dis.calc(gray_a, gray_b, None)

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_dis'] = None
        return state


@FLOW_ESTIMATORS.register_module()
class FarnebackFlow(BaseFlowEstimator):
    """Farneback's polynomial-expansion flow (OpenCV ``calcOpticalFlowFarneback``).

    Args mirror OpenCV's (defaults: OpenCV's tutorial values, a 3-level pyramid).
    """

    def __init__(self, pyr_scale: float = 0.5, levels: int = 3, winsize: int = 15,
                 iterations: int = 3, poly_n: int = 5, poly_sigma: float = 1.2) -> None:
        self.params = dict(pyr_scale=pyr_scale, levels=levels, winsize=winsize,
                           iterations=iterations, poly_n=poly_n, poly_sigma=poly_sigma, flags=0)

    def estimate(self, gray_a: np.ndarray, gray_b: np.ndarray) -> np.ndarray:
        return cv2.calcOpticalFlowFarneback(gray_a, gray_b, None, **self.params)
