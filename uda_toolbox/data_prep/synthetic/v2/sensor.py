"""The camera of a version-2 target clip, frame by frame: auto-exposure and white-balance drift
with flicker, motion blur along the true motion, sensor noise and lossy compression, each drawn
anew for every frame (so a single-frame model sees a slightly different image of the same scene
every frame, as on real video). At the source end of every factor each step is the identity."""

from typing import Dict

import cv2
import numpy as np

# Share of a lighting change's error the auto-exposure leaves after each frame (it corrects about
# 60% per frame: a transient of 2-3 frames). Our choice; consumer cameras settle within a few frames.
AUTO_EXPOSURE_LAG = 0.4


def exposure_gains(T: int, style: Dict[str, float], rng: np.random.Generator) -> np.ndarray:
    """Per-frame colour gains (T, 3), BGR.

    The log exposure is a random walk with steps uniform in +-``exposure_step``, clipped to
    +-``exposure_range``; the log gains of blue and red walk the same way (``white_balance_*``)
    around green; flicker adds a log gain uniform in +-``flicker`` to each frame on its own. A
    lighting change (chance ``light_change_rate`` per frame) adds a log gain of 0.4-1 x
    ``light_change_size`` of either sign, which the auto-exposure then takes back geometrically
    (``AUTO_EXPOSURE_LAG`` of it is left after each frame); that transient stays within
    +-``light_change_size``. So the log gain of a channel changes by at most ``exposure_step +
    white_balance_step + 2 flicker + 2 light_change_size`` from one frame to the next.
    """
    step, bound = style['exposure_step'], style['exposure_range']
    wb_step, wb_bound = style['white_balance_step'], style['white_balance_range']
    size = style['light_change_size']
    level, balance, transient = rng.uniform(-0.5, 0.5) * bound, np.zeros(3), 0.0
    logs = np.empty((T, 3))
    for t in range(T):
        change = rng.uniform(0.4, 1.0) * size * rng.choice([-1.0, 1.0])
        if t > 0:
            level = float(np.clip(level + rng.uniform(-step, step), -bound, bound))
            balance[[0, 2]] = np.clip(balance[[0, 2]] + rng.uniform(-wb_step, wb_step, 2),
                                      -wb_bound, wb_bound)
            transient *= AUTO_EXPOSURE_LAG
            if rng.uniform() < style['light_change_rate']:
                transient = float(np.clip(transient + change, -size, size))
        logs[t] = level + balance + transient + rng.uniform(-style['flicker'], style['flicker'])
    return np.exp(logs).astype(np.float32)


def motion_blur(img: np.ndarray, flow_back: np.ndarray, shutter: float, taps: int = 7) -> np.ndarray:
    """Blur every pixel along its own motion during the exposure: the mean of the frame sampled at
    ``p + s * shutter * flow_back(p)`` for s in [0, 1], where ``flow_back`` (H, W, 2) points to
    where the scene point was one frame earlier. The smear length is ``shutter * |flow|``: it
    grows with speed; a still pixel stays sharp."""
    if shutter <= 0.0:
        return img
    h, w = img.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    out = np.zeros_like(img)
    for s in np.linspace(0.0, 1.0, taps, dtype=np.float32):
        k = np.float32(s * shutter)
        out += cv2.remap(img, gx + k * flow_back[..., 0], gy + k * flow_back[..., 1],
                         cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out / np.float32(taps)


def compress(frame: np.ndarray, quality: int) -> np.ndarray:
    """JPEG round trip of a uint8 BGR frame: 8x8 blocking and ringing, like a video codec's
    intra frames; quality >= 100 leaves the frame untouched."""
    if quality >= 100:
        return frame
    ok, data = cv2.imencode('.jpg', frame, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError('synthetic v2: OpenCV could not JPEG-encode a frame')
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def jpeg_qualities(T: int, style: Dict[str, float], rng: np.random.Generator) -> np.ndarray:
    """Per-frame JPEG quality (T,), uniform in [jpeg_quality_min, jpeg_quality_max]."""
    q = rng.uniform(style['jpeg_quality_min'], style['jpeg_quality_max'], T)
    return np.round(q).astype(np.int64)
