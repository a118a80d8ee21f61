"""Rendering a version-1 clip: frames, labels and the exact optical flow.

Every frame is an affine image of the canvas and of each object's own pre-painted patch. With
``u - x_v = a_t (x0 - x_v) + b_t`` and ``v - y_h = a_t (y0 - y_h)`` mapping a point of the owner
(the static world or one object) in frame-0 coordinates to frame ``t``, the flow from frame ``t``
to ``t'`` at pixel (u, v) is ``(a_t'/a_t (u - x_v - b_t) + b_t' - (u - x_v), (a_t'/a_t - 1)(v -
y_h))``. Occlusion is not modelled in the flow (it says where the scene point goes, visible or
not). Layout, appearance and sensor noise use independent random streams, so the style knob
changes how a clip looks but not where things are.
"""

import math
from typing import Dict, Tuple

import cv2
import numpy as np

from uda_toolbox.data_prep.synthetic.pair import RenderedClip, clip_streams
from uda_toolbox.data_prep.synthetic.v1.canvas import Camera, Layers
from uda_toolbox.data_prep.synthetic.v1.objects import Look
from uda_toolbox.data_prep.synthetic.v1.params import (
    LAYOUT_FACTORS,
    STYLE_FACTORS,
    SUPERSAMPLE,
    resolve_factors,
)
from uda_toolbox.data_prep.synthetic.v1.scene import Scene, build_scene
from uda_toolbox.utils.classes import IGNORE_INDEX


def _frame_to_raster(
    cam: Camera, a: float, b: float, layers: Layers, out_scale: float, dx: int = 0, dy: int = 0
) -> np.ndarray:
    """2x3 matrix (for WARP_INVERSE_MAP) from output pixels (at ``out_scale`` x the frame, ROI
    offset dx, dy) to raster pixels of an owner shown with frame parameters (a, b): u - x_v = a (x0
    - x_v) + b, v - y_h = a (y0 - y_h).
    """
    s = layers.scale / (a * out_scale)
    tx = (
        layers.scale / a * (0.5 / out_scale - 0.5)
        + layers.scale * (cam.x_v - (cam.x_v + b) / a - layers.ox + 0.5)
        - 0.5
    )
    ty = (
        layers.scale / a * (0.5 / out_scale - 0.5)
        + layers.scale * (cam.y_h - cam.y_h / a - layers.oy + 0.5)
        - 0.5
    )
    return np.array([[s, 0.0, tx + s * dx], [0.0, s, ty + s * dy]], np.float64)


def _roi(cam: Camera, a: float, b: float, layers: Layers, out_scale: int, w: int, h: int):
    """Output-pixel box (x0, y0, x1, y1) covering the patch, or None outside the frame."""
    ph, pw = layers.label.shape
    xs = np.array([layers.ox - 0.5, layers.ox - 0.5 + pw / layers.scale])
    ys = np.array([layers.oy - 0.5, layers.oy - 0.5 + ph / layers.scale])
    us = cam.x_v + a * (xs - cam.x_v) + b
    vs = cam.y_h + a * (ys - cam.y_h)
    x0 = max(0, int(math.floor((us.min() + 0.5) * out_scale - 0.5)) - 1)
    x1 = min(w, int(math.ceil((us.max() + 0.5) * out_scale - 0.5)) + 2)
    y0 = max(0, int(math.floor((vs.min() + 0.5) * out_scale - 0.5)) - 1)
    y1 = min(h, int(math.ceil((vs.max() + 0.5) * out_scale - 0.5)) + 2)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _warp(
    src: np.ndarray, M: np.ndarray, size: Tuple[int, int], nearest: bool, border=None
) -> np.ndarray:
    flags = (cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    if border is None:
        return cv2.warpAffine(src, M, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
    return cv2.warpAffine(
        src, M, size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def _owner_params(scene: Scene) -> Tuple[np.ndarray, np.ndarray]:
    """(a, b) of shape (1 + num_movers, T): owner 0 is the static world, owner j + 1 is mover j."""
    z, p = scene.zoom, scene.pan
    a = [z] + [z * m.k for m in scene.movers]
    b = [-z * p] + [z * (m.shift - p) for m in scene.movers]
    return np.stack(a), np.stack(b)


def true_flow(
    owner: np.ndarray, a: np.ndarray, b: np.ndarray, t: int, t2: int, x_v: float, y_h: float
) -> np.ndarray:
    """Exact flow (H, W, 2) float32 (dx, dy) from frame t to t2 for every pixel, given which owner
    it shows.

    Args:
        owner: (H, W) int index into the rows of ``a``, ``b`` (0 = static world).
        a, b: (num_owners, T) frame parameters: u - x_v = a_t (x0 - x_v) + b_t, v - y_h = a_t (y0 -
        y_h).
    """
    h, w = owner.shape
    u = np.arange(w, dtype=np.float32)[None, :] - np.float32(x_v)
    v = np.arange(h, dtype=np.float32)[:, None] - np.float32(y_h)
    ratio = (a[:, t2] / a[:, t]).astype(np.float32)[owner]
    bt, bt2 = b[:, t].astype(np.float32)[owner], b[:, t2].astype(np.float32)[owner]
    fx = ratio * (u - bt) + bt2 - u
    fy = (ratio - 1.0) * v
    return np.stack([fx, fy], -1)


def _camera_response(
    h: int, w: int, style: Dict[str, float], rng: np.random.Generator
) -> np.ndarray:
    """Per-clip lighting gain (H, W, 3): brightness, warm cast, vertical gradient, vignette."""
    bright = rng.uniform(style['brightness_min'], style['brightness_max'])
    cast = style['warm_cast'] * rng.uniform(0.5, 1.0)
    colour = np.array([1.0 - cast, 1.0, 1.0 + 0.75 * cast], np.float32)  # BGR
    v = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    gradient = 1.0 + style['vertical_gradient'] * (0.5 - v)
    yy = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    xx = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    vignette = 1.0 - style['vignette'] * (xx**2 + yy**2) / 2.0
    return (bright * gradient * vignette)[..., None] * colour


def composite(
    scene: Scene, a: np.ndarray, b: np.ndarray, t: int
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Frame t of the scene before the camera: colour (SUPERSAMPLE x the frame, BGR float32),
    label (H, W) uint8, owner (H, W) int64 (0 = static world, j + 1 = mover j) and depth (H, W)
    float32 (m; ``FAR`` for the background) of the surface each pixel shows.

    The movers are drawn far to near (painter's order), each depth-tested against the static
    props, so the nearest surface always wins."""
    cam, canvas = scene.cam, scene.canvas
    height, width = cam.height, cam.width
    hi_w, hi_h = width * SUPERSAMPLE, height * SUPERSAMPLE
    M = _frame_to_raster(cam, a[0, t], b[0, t], canvas, 1)
    label = _warp(canvas.label, M, (width, height), nearest=True)
    depth = _warp(canvas.depth, M, (width, height), nearest=True)
    owner = np.zeros((height, width), np.int64)
    M = _frame_to_raster(cam, a[0, t], b[0, t], canvas, SUPERSAMPLE)
    colour = _warp(canvas.colour, M, (hi_w, hi_h), nearest=False)
    depth_hi = _warp(canvas.depth, M, (hi_w, hi_h), nearest=True)
    dist = [m.depth0 / m.k[t] for m in scene.movers]
    for j in sorted(
        range(len(scene.movers)), key=lambda i: -dist[i]
    ):  # painter's order, far to near
        m, o = scene.movers[j], j + 1
        box = _roi(cam, a[o, t], b[o, t], m.layers, 1, width, height)
        if box is not None:
            x0, y0, x1, y1 = box
            M = _frame_to_raster(cam, a[o, t], b[o, t], m.layers, 1, x0, y0)
            lab = _warp(
                m.layers.label, M, (x1 - x0, y1 - y0), nearest=True, border=IGNORE_INDEX
            )
            hit = (lab != IGNORE_INDEX) & (dist[j] < depth[y0:y1, x0:x1])
            label[y0:y1, x0:x1][hit] = lab[hit]
            owner[y0:y1, x0:x1][hit] = o
            depth[y0:y1, x0:x1][hit] = dist[j]
        box = _roi(cam, a[o, t], b[o, t], m.layers, SUPERSAMPLE, hi_w, hi_h)
        if box is not None:
            x0, y0, x1, y1 = box
            M = _frame_to_raster(cam, a[o, t], b[o, t], m.layers, SUPERSAMPLE, x0, y0)
            size = (x1 - x0, y1 - y0)
            alpha = _warp(
                (m.layers.label != IGNORE_INDEX).astype(np.float32), M, size, False, 0.0
            )
            premult = _warp(m.layers.colour, M, size, False, (0.0, 0.0, 0.0))
            visible = (dist[j] < depth_hi[y0:y1, x0:x1]).astype(np.float32)
            alpha *= visible
            roi = colour[y0:y1, x0:x1]
            roi *= (1.0 - alpha)[..., None]
            roi += premult * visible[..., None]
            depth_hi[y0:y1, x0:x1][alpha > 0.5] = dist[j]
    return colour, label, owner, depth


def render_clip(
    seed: np.random.SeedSequence,
    *,
    height: int,
    width: int,
    length: int,
    style_shift: float,
    layout_shift: float,
) -> RenderedClip:
    """Render one clip of ``length`` frames with its labels and exact flow, deterministically from
    ``seed``.

    Layout, appearance and sensor noise use independent streams spawned from ``seed``, so the style
    knob changes how a clip looks but not where things are.
    """
    layout_seq, look_seq, noise_seq = clip_streams(seed)
    style = resolve_factors(STYLE_FACTORS, style_shift)
    lay = resolve_factors(LAYOUT_FACTORS, layout_shift)
    look = Look(style, style_shift, np.random.default_rng(look_seq))
    scene = build_scene(height, width, length, lay, look, np.random.default_rng(layout_seq))
    noise_rng = np.random.default_rng(noise_seq)
    response = _camera_response(height, width, style, noise_rng)
    a, b = _owner_params(scene)
    frames, labels, owners = [], [], []
    for t in range(length):
        colour, label, owner, _ = composite(scene, a, b, t)
        img = cv2.resize(colour, (width, height), interpolation=cv2.INTER_AREA)
        img = np.clip(img * response, 0.0, 1.0) ** np.float32(style['gamma'])
        if style['blur_sigma'] > 0.05:
            img = cv2.GaussianBlur(img, (0, 0), style['blur_sigma'])
        if style['noise_sigma'] > 0.0:
            img = img + np.float32(style['noise_sigma']) * noise_rng.standard_normal(
                img.shape, np.float32
            )
        frames.append(np.round(np.clip(img, 0.0, 1.0) * 255.0).astype(np.uint8))
        labels.append(label)
        owners.append(owner)
    cam = scene.cam
    flow_fw = [true_flow(owners[t], a, b, t, t + 1, cam.x_v, cam.y_h) for t in range(length - 1)]
    flow_bw = [true_flow(owners[t], a, b, t, t - 1, cam.x_v, cam.y_h) for t in range(1, length)]
    return RenderedClip(frames, labels, flow_fw, flow_bw)


