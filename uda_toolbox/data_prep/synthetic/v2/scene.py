"""A version-2 clip's scene: version 1's street builder (``v1/scene.py``) with version 2's parts
(``SceneKit``): the palette, varied ego-motion, conifer-like trees, thin poles, van-like cars that
may change lane, slimmer and faster pedestrians, per-class materials and shadows.

Every motion is still an affine map of its owner per frame (``u - x_v = a_t (x0 - x_v) + b_t``), so
the true flow stays exact (``v1/render.py``, ``true_flow``)."""

import colorsys
import functools
import math
from typing import Dict, Tuple

import numpy as np

from uda_toolbox.data_prep.synthetic.v1.canvas import Camera, Layers
from uda_toolbox.data_prep.synthetic.v1.objects import (
    Look,
    Mover,
    _billboard,
    make_car,
    make_person,
    paint_pole,
    paint_tree,
)
from uda_toolbox.data_prep.synthetic.v1.params import lerp
from uda_toolbox.data_prep.synthetic.v1.scene import SceneKit
from uda_toolbox.data_prep.synthetic.v2.materials import world_appearance
from uda_toolbox.data_prep.synthetic.v2.params import (
    BUILDING_PALETTE,
    PALETTE,
    RANDOM_HUE,
    RANDOM_JITTER,
    RANDOM_SATURATION,
    RANDOM_VALUE,
    SIGN_PALETTE,
    VEGETATION,
)


class LookV2(Look):
    """Version 2's colour tables (``v2/params.py``) with version 1's grading, and the per-clip
    randomisation of a randomised simulator (``randomisation``): each clip draws its own hue
    offset, brightness and saturation gains and a wider per-material jitter, so that a model
    trained on the source cannot rely on one exact colour per class."""

    palette = PALETTE
    buildings = BUILDING_PALETTE
    signs = SIGN_PALETTE

    def __init__(self, style: Dict[str, float], shift: float, rng: np.random.Generator):
        r = style['randomisation']
        self.clip_hue = rng.uniform(-1.0, 1.0) * r * RANDOM_HUE
        self.clip_value = 1.0 + rng.uniform(-1.0, 1.0) * r * RANDOM_VALUE
        self.clip_saturation = 1.0 + rng.uniform(-1.0, 1.0) * r * RANDOM_SATURATION
        self.jitter_scale = 1.0 + r * RANDOM_JITTER
        super().__init__(style, shift, rng)

    def material(self, src, tgt, jitter: float = 0.03) -> Tuple[float, float, float]:
        rgb = np.array([lerp(a, b, self.shift) for a, b in zip(src, tgt)])
        rgb = np.clip(rgb + self.rng.uniform(-1.0, 1.0, 3) * jitter * self.jitter_scale, 0.0, 1.0)
        h, s, v = colorsys.rgb_to_hsv(*rgb)
        rgb = colorsys.hsv_to_rgb((h + self.clip_hue) % 1.0, min(1.0, s * self.clip_saturation),
                                  min(1.0, v * self.clip_value))
        return self.grade(rgb)


def _wander(T: int, rng: np.random.Generator, every: float = 6.0) -> np.ndarray:
    """A smooth random signal (T,) in [-1, 1]: uniform knots every ``every`` frames, linearly
    interpolated."""
    knots = np.arange(0.0, T - 1 + every, every)
    return np.interp(np.arange(T), knots, rng.uniform(-1.0, 1.0, len(knots)))


def ego_motion(T: int, rng: np.random.Generator, lay: Dict[str, float]):
    """Forward motion whose speed changes over the clip (accelerating, braking) and a sideways pan
    whose velocity changes (turning); at ``speed_variation = turn = 0`` it is version 1's
    constant motion. Returns zoom (T,), pan (T,) and the largest |pan| it can reach."""
    rate_max = min(lay['ego_rate'], lay['ego_total'] ** (1.0 / (T - 1)) - 1.0)
    base = rng.uniform(0.6, 1.0) * rate_max
    rate = base * np.clip(1.0 + lay['speed_variation'] * _wander(T, rng), 0.05, 2.0)
    zoom = np.concatenate([[1.0], np.cumprod(1.0 + rate[:-1])])
    if zoom[-1] > lay['ego_total']:  # faster moments are paid back so the clip stays in range
        zoom = zoom ** (math.log(lay['ego_total']) / math.log(zoom[-1]))
    velocity = rng.uniform(-lay['pan_max'], lay['pan_max']) + lay['turn'] * _wander(T, rng)
    pan = np.concatenate([[0.0], np.cumsum(velocity[:-1])])
    return zoom, pan, (lay['pan_max'] + lay['turn']) * (T - 1)


def paint_tree_v2(
    canvas: Layers, cam: Camera, look: Look, X: float, D: float, rng, tall: float
) -> None:
    """With probability ``tall`` a narrow conifer-like tree (trunk and three stacked triangles),
    else version 1's round tree."""
    if rng.uniform() >= tall:
        paint_tree(canvas, cam, look, X, D, rng)
        return
    trunk_h = rng.uniform(1.0, 1.8)
    w = cam.min_width(D, 0.25)
    canvas.poly(
        _billboard(cam, X, D, -w / 2, w / 2, 0.0, trunk_h + 0.5),
        VEGETATION,
        look.shade(look.colours['trunk'], rng.uniform(0.85, 1.15)),
        depth=D,
    )
    height, half = rng.uniform(5.0, 8.0), rng.uniform(0.9, 1.4)
    for level in range(3):
        y0 = trunk_h + level * height / 4.0
        r = half * (1.0 - 0.25 * level)
        tri = cam.project([X - r, X + r, X], [y0, y0, y0 + height / 2.0], D)
        colour = look.shade(look.colours['vegetation'], rng.uniform(0.8, 1.2))
        canvas.poly(tri, VEGETATION, colour, depth=D)


def make_car_v2(cam, look, lay, road: Tuple[float, float], zoom, rng) -> Mover:
    """Version 1's car with the domain's proportions; a moving car may change lane (a smooth
    sideways shift of about one lane width over 8-20 frames)."""
    car = make_car(
        cam, look, lay, road, zoom, rng,
        height_range=(lay['car_height_min'], lay['car_height_max']),
        body_ratio=lay['car_body_ratio'],
    )
    T = len(zoom)
    if rng.uniform() < lay['lane_change'] and not np.all(car.k == 1.0):
        lane_px = cam.f * rng.uniform(2.5, 3.5) / car.depth0 * rng.choice([-1.0, 1.0])
        start, length = rng.uniform(0, T / 2), rng.uniform(8.0, 20.0)
        s = np.clip((np.arange(T) - start) / length, 0.0, 1.0)
        car.shift = car.shift + lane_px * s * s * (3.0 - 2.0 * s)  # smoothstep
    return car


def scene_kit(lay: Dict[str, float]) -> SceneKit:
    """Version 2's scene parts at these layout factors."""
    return SceneKit(
        ego_motion=functools.partial(ego_motion, lay=lay),
        paint_pole=functools.partial(
            paint_pole, min_px=lay['pole_min_px'], sign_px=lay['sign_min_px']
        ),
        paint_tree=functools.partial(paint_tree_v2, tall=lay['tall_tree']),
        make_car=make_car_v2,
        make_person=functools.partial(
            make_person,
            height_range=(lay['person_height_min'], lay['person_height_max']),
            girth=lay['person_girth'],
            speed=lay['person_speed'],
        ),
        world_appearance=world_appearance,
    )
