import cv2
import numpy as np
import pytest
import torch

from uda_toolbox.flow import FarnebackFlow, OpenCVDISFlow
from uda_toolbox.registry import FLOW_ESTIMATORS
from uda_toolbox.utils.warp import warp


def _textured(h: int = 72, w: int = 96) -> np.ndarray:
    noise = np.random.default_rng(0).random((h, w)).astype(np.float32)
    img = cv2.GaussianBlur(noise, (0, 0), 1.5)
    img = (img - img.min()) / (img.max() - img.min())
    bgr = np.stack([img, 1 - img, 0.5 * img + 0.25], axis=-1)
    return (bgr * 255).round().astype(np.uint8)


@pytest.mark.parametrize('estimator', [OpenCVDISFlow(), FarnebackFlow()], ids=['dis', 'farneback'])
def test_recovers_known_global_shift(estimator):
    dx, dy = 2, 1
    frame_a = _textured()
    frame_b = np.roll(frame_a, shift=(dy, dx), axis=(0, 1))  # the scene moves (+2, +1) from a to b
    flow = estimator(frame_a, frame_b)
    assert flow.shape == (72, 96, 2) and flow.dtype == np.float32
    inner = flow[8:-8, 8:-8]  # away from the wrapped border
    error = np.linalg.norm(inner - np.array([dx, dy], np.float32), axis=-1)
    assert error.mean() < 0.5

    # Convention: warping frame_b with the flow from a to b reproduces frame_a.
    to_t = lambda x: torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None].float()  # noqa: E731
    warped, _ = warp(to_t(frame_b), to_t(flow))
    assert (warped - to_t(frame_a))[..., 8:-8, 8:-8].abs().mean() < 3.0  # out of 255


def test_registry_and_input_checks():
    dis = FLOW_ESTIMATORS.build(dict(type='OpenCVDISFlow', preset='fast'))
    assert isinstance(dis, OpenCVDISFlow) and dis.preset == 'fast'
    with pytest.raises(ValueError, match='preset'):
        OpenCVDISFlow(preset='slow')
    frame = _textured(16, 16)
    with pytest.raises(ValueError, match='uint8'):
        dis(frame.astype(np.float32), frame)
    with pytest.raises(ValueError, match='same size'):
        dis(frame, frame[:8])
    assert np.abs(dis(frame, frame)).max() < 1e-3  # identical frames: no motion
