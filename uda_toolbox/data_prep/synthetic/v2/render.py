"""Rendering a version-2 clip: version 1's compositing (``v1/render.py``, ``composite``) of the
version-2 scene, then the per-frame camera of ``sensor.py``. Labels and the exact flow are those
of version 1's renderer: the flow still maps every pixel to where its scene point is in the other
frame (occlusion not modelled)."""

from typing import Dict, List, Optional

import cv2
import numpy as np

from uda_toolbox.data_prep.synthetic.pair import RenderedClip, clip_streams
from uda_toolbox.data_prep.synthetic.v1.render import (
    _camera_response,
    _owner_params,
    composite,
    true_flow,
)
from uda_toolbox.data_prep.synthetic.v1.scene import build_scene
from uda_toolbox.data_prep.synthetic.v2.params import (
    LAYOUT_FACTORS,
    STYLE_FACTORS,
    resolve_factors,
)
from uda_toolbox.data_prep.synthetic.v2.scene import LookV2, scene_kit
from uda_toolbox.data_prep.synthetic.v2.sensor import (
    compress,
    exposure_gains,
    jpeg_qualities,
    motion_blur,
)


def render_clip(
    seed: np.random.SeedSequence,
    *,
    height: int,
    width: int,
    length: int,
    style_shift: float,
    layout_shift: float,
    details: Optional[Dict[str, List]] = None,
) -> RenderedClip:
    """Render one clip of ``length`` frames with its labels and exact flow, deterministically from
    ``seed`` (same streams as version 1: layout, appearance, per-frame camera).

    ``details``, if given, receives per frame ``owner`` (0 static world, j + 1 mover j), ``depth``
    (m), ``gain`` (exposure BGR), ``quality`` (JPEG) and the clip's ``scene``, for the tests.
    """
    layout_seq, look_seq, noise_seq = clip_streams(seed)
    style = resolve_factors(STYLE_FACTORS, style_shift)
    lay = resolve_factors(LAYOUT_FACTORS, layout_shift)
    look = LookV2(style, style_shift, np.random.default_rng(look_seq))
    scene = build_scene(
        height, width, length, lay, look, np.random.default_rng(layout_seq), scene_kit(lay)
    )
    noise_rng = np.random.default_rng(noise_seq)
    response = _camera_response(height, width, style, noise_rng)
    gains = exposure_gains(length, style, noise_rng)
    qualities = jpeg_qualities(length, style, noise_rng)
    cam = scene.cam
    a, b = _owner_params(scene)
    frames, labels, owners = [], [], []
    for t in range(length):
        colour, label, owner, depth = composite(scene, a, b, t)
        img = cv2.resize(colour, (width, height), interpolation=cv2.INTER_AREA)
        # Smear along where each point came from (frame 0: where it goes, reversed).
        back = (true_flow(owner, a, b, t, t - 1, cam.x_v, cam.y_h) if t > 0
                else -true_flow(owner, a, b, 0, 1, cam.x_v, cam.y_h))
        img = motion_blur(img, back, style['shutter'])
        img = np.clip(img * response * gains[t], 0.0, 1.0) ** np.float32(style['gamma'])
        if style['blur_sigma'] > 0.05:
            img = cv2.GaussianBlur(img, (0, 0), style['blur_sigma'])
        if style['noise_sigma'] > 0.0:
            img = img + np.float32(style['noise_sigma']) * noise_rng.standard_normal(
                img.shape, np.float32
            )
        frame = np.round(np.clip(img, 0.0, 1.0) * 255.0).astype(np.uint8)
        frames.append(compress(frame, int(qualities[t])))
        labels.append(label)
        owners.append(owner)
        if details is not None:
            details.setdefault('depth', []).append(depth)
    if details is not None:
        details.update(owner=owners, gain=list(gains), quality=list(qualities), scene=scene)
    flow_fw = [true_flow(owners[t], a, b, t, t + 1, cam.x_v, cam.y_h) for t in range(length - 1)]
    flow_bw = [true_flow(owners[t], a, b, t, t - 1, cam.x_v, cam.y_h) for t in range(1, length)]
    return RenderedClip(frames, labels, flow_fw, flow_bw)
