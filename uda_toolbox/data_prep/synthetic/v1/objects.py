"""The objects of a version-1 street and their colours: the clip's look (palette at the style
shift), facades, trees, poles and signs painted on the static canvas, and the moving cars and
persons painted once on their own patches."""

import colorsys
import math
from dataclasses import dataclass
from typing import Dict, Sequence, Tuple

import numpy as np

from uda_toolbox.data_prep.synthetic.v1.canvas import Camera, Layers
from uda_toolbox.data_prep.synthetic.v1.params import (
    BUILDING,
    BUILDING_HEIGHT_UNIT,
    BUILDING_PALETTE,
    CAM_HEIGHT,
    CAR,
    MIN_POLE_PX,
    PALETTE,
    PERSON,
    PERSON_SPEED,
    POLE,
    SIGN,
    SIGN_PALETTE,
    SUPERSAMPLE,
    VEGETATION,
    lerp,
)
from uda_toolbox.utils.classes import IGNORE_INDEX


class Look:
    """The clip's colours: palette at the style shift, jittered, hue-rotated, desaturated. A later
    generator version changes the colour tables by overriding the three class attributes."""

    palette = PALETTE
    buildings = BUILDING_PALETTE
    signs = SIGN_PALETTE

    def __init__(self, style: Dict[str, float], shift: float, rng: np.random.Generator):
        self.style, self.shift, self.rng = style, shift, rng
        self.colours = {name: self.material(src, tgt) for name, (src, tgt) in self.palette.items()}

    def grade(self, rgb: Sequence[float]) -> Tuple[float, float, float]:
        """Global hue rotation and saturation multiplier; returns BGR."""
        h, s, v = colorsys.rgb_to_hsv(*(min(max(c, 0.0), 1.0) for c in rgb))
        r, g, b = colorsys.hsv_to_rgb(
            (h + self.style['hue_rotation']) % 1.0, min(1.0, s * self.style['saturation']), v
        )
        return (b, g, r)

    def material(self, src, tgt, jitter: float = 0.03) -> Tuple[float, float, float]:
        rgb = np.array([lerp(a, b, self.shift) for a, b in zip(src, tgt)])
        return self.grade(rgb + self.rng.uniform(-jitter, jitter, 3))

    def pick(self, table) -> Tuple[float, float, float]:
        src, tgt = table[int(self.rng.integers(len(table)))]
        return self.material(src, tgt, jitter=0.05)

    def car_body(self) -> Tuple[float, float, float]:
        s = self.rng.uniform(self.style['car_saturation_min'], self.style['car_saturation_max'])
        v = self.rng.uniform(lerp(0.6, 0.1, self.shift), 0.95)
        return self.grade(colorsys.hsv_to_rgb(self.rng.uniform(), s, v))

    def clothes(self) -> Tuple[float, float, float]:
        s_max = self.style['clothes_saturation_max']
        s = self.rng.uniform(0.7 * s_max, s_max)
        v = self.rng.uniform(lerp(0.7, 0.1, self.shift), lerp(1.0, 0.6, self.shift))
        return self.grade(colorsys.hsv_to_rgb(self.rng.uniform(), s, v))

    @staticmethod
    def shade(colour, k: float) -> Tuple[float, float, float]:
        return tuple(min(1.0, c * k) for c in colour)





@dataclass
class Mover:
    """A moving object painted once on its own patch; frame t shows it at ``(a_t, b_t)``."""

    layers: Layers
    depth0: float  # distance at frame 0 (m)
    k: np.ndarray  # (T,) its own zoom about the vanishing point (motion along the lane)
    shift: np.ndarray  # (T,) its own sideways shift (frame-0 px)


def _quad(cam: Camera, X: float, y0: float, y1: float, d0: float, d1: float) -> np.ndarray:
    """A facade rectangle in the plane X, heights y0..y1, distances d0..d1 -> 4 frame-0 points."""
    return cam.project([X, X, X, X], [y0, y0, y1, y1], [d0, d1, d1, d0])


def _billboard(
    cam: Camera, X: float, D: float, x0: float, x1: float, y0: float, y1: float
) -> np.ndarray:
    """A rectangle facing the camera at distance D, lateral X + x0..x1, heights y0..y1."""
    return cam.project([X + x0, X + x1, X + x1, X + x0], [y0, y0, y1, y1], D)


def wedge(cam: Camera, X0: float, X1: float, bottom: float) -> np.ndarray:
    """Ground strip between lateral X0 and X1, from the vanishing point to the row ``bottom``."""
    k = (
        bottom - cam.y_h
    ) / CAM_HEIGHT  # ground at row y has lateral scale f / D = (y - y_h) / cam height
    return np.array([[cam.x_v, cam.y_h], [cam.x_v + X0 * k, bottom], [cam.x_v + X1 * k, bottom]])


def paint_buildings(
    canvas: Layers,
    cam: Camera,
    look: Look,
    lay: Dict[str, float],
    side: int,
    X_face: float,
    rng: np.random.Generator,
) -> None:
    """Facades along one side of the street, near to far, with windows (labelled building)."""
    # Start where the facade line leaves the canvas (nearer parts are outside every frame).
    left = canvas.ox - 0.5
    right = left + canvas.label.shape[1] / canvas.scale
    edge_dist = (cam.x_v - left) if side < 0 else (right - cam.x_v)
    d = max(0.5, cam.f * abs(X_face) / max(edge_dist, 1.0))
    while d < 150.0 and cam.f * abs(X_face) / d > 0.6:
        length = rng.uniform(lay['building_length_min'], lay['building_length_max'])
        if rng.uniform() < 0.12:  # a gap between buildings shows the skyline behind
            d += rng.uniform(2.0, 6.0)
            continue
        height = BUILDING_HEIGHT_UNIT * rng.uniform(
            lay['building_height_min'], lay['building_height_max']
        )
        colour = look.pick(look.buildings)
        d1 = d + length
        canvas.poly(_quad(cam, X_face, 0.0, height, d, d1), BUILDING, colour)
        window = look.shade(look.colours['window'], rng.uniform(0.8, 1.2))
        floor = rng.uniform(3.0, 3.6)
        for level in np.arange(1.0, height - 1.6, floor):
            for wd in np.arange(d + 0.8, d1 - 1.6, rng.uniform(2.6, 3.4)):
                if cam.f * abs(X_face) * (1.0 / wd - 1.0 / (wd + 1.3)) < 0.5:
                    break  # sub-pixel windows: texture would alias anyway
                canvas.poly(_quad(cam, X_face, level, level + 1.5, wd, wd + 1.3), BUILDING, window)
        d = d1


def paint_tree(canvas: Layers, cam: Camera, look: Look, X: float, D: float, rng) -> None:
    trunk_h = rng.uniform(2.5, 3.5)
    w = cam.min_width(D, 0.3)
    canvas.poly(
        _billboard(cam, X, D, -w / 2, w / 2, 0.0, trunk_h + 0.5),
        VEGETATION,
        look.shade(look.colours['trunk'], rng.uniform(0.85, 1.15)),
        depth=D,
    )
    base = look.colours['vegetation']
    for _ in range(3):
        r = rng.uniform(1.5, 2.4)
        cx, cy = cam.project(X + rng.uniform(-0.9, 0.9), trunk_h + r * rng.uniform(0.5, 1.1), D)
        canvas.circle(
            cx, cy, cam.f * r / D, VEGETATION, look.shade(base, rng.uniform(0.8, 1.2)), depth=D
        )


def paint_pole(
    canvas: Layers,
    cam: Camera,
    look: Look,
    X: float,
    D: float,
    side: int,
    rng,
    min_px: float = MIN_POLE_PX,
    sign_px: float = 3.2,
) -> None:
    """A pole (>= ``min_px`` wide), maybe a lamp arm (pole) and a sign plate (traffic sign, >=
    ``sign_px`` across)."""
    height = rng.uniform(4.0, 6.0)
    w = cam.min_width(D, 0.15, min_px)
    colour = look.shade(look.colours['pole'], rng.uniform(0.85, 1.15))
    canvas.poly(_billboard(cam, X, D, -w / 2, w / 2, 0.0, height), POLE, colour, depth=D)
    if rng.uniform() < 0.5:
        arm = 1.2 * -side
        canvas.poly(
            _billboard(cam, X, D, min(0.0, arm), max(0.0, arm), height - w, height),
            POLE,
            colour,
            depth=D,
        )
        canvas.poly(
            _billboard(cam, X + arm, D, -0.3, 0.3, height - max(w, 0.25), height),
            POLE,
            look.colours['lamp'],
            depth=D,
        )
    if rng.uniform() < 0.45:
        size = max(0.6, sign_px * D / cam.f)
        y = rng.uniform(2.0, 2.8)
        plate = look.pick(look.signs)
        shape = int(rng.integers(3))
        if shape == 0:
            canvas.poly(
                _billboard(cam, X, D, -size / 2, size / 2, y, y + size), SIGN, plate, depth=D
            )
        elif shape == 1:
            cx, cy = cam.project(X, y + size / 2, D)
            canvas.circle(cx, cy, cam.f * size / 2 / D, SIGN, plate, depth=D)
        else:
            tri = cam.project([X - size / 2, X + size / 2, X], [y, y, y + size], D)
            canvas.poly(tri, SIGN, plate, depth=D)


def _mover_layers(
    cam: Camera, X: float, D: float, x0: float, x1: float, y1: float, magnify: float
) -> Layers:
    """An empty patch (label 255 = transparent) around a billboard object x0..x1, height y1."""
    (bx0, by1), (bx1, by0) = cam.project([X + x0, X + x1], [0.0, y1], D)
    pad = 1.0
    scale = SUPERSAMPLE * min(max(1.0, magnify), 8.0)
    ox, oy = math.floor(bx0 - pad), math.floor(by0 - pad)
    w = int(math.ceil((bx1 + pad - ox) * scale)) + 1
    h = int(math.ceil((by1 + pad - oy) * scale)) + 1
    return Layers(ox, oy, scale, h, w, IGNORE_INDEX, (0.0, 0.0, 0.0), depth=False)


def make_car(
    cam: Camera,
    look: Look,
    lay: Dict[str, float],
    road: Tuple[float, float],
    zoom: np.ndarray,
    rng,
    height_range: Tuple[float, float] = (1.35, 1.65),
    body_ratio: float = 0.58,
) -> Mover:
    """A car on the road: body, glass cabin, wheels, lamps, plate (all labelled car). Its height
    (m) is drawn from ``height_range``; the body takes ``body_ratio`` of it, the cabin the rest."""
    s = rng.uniform(lay['car_scale_min'], lay['car_scale_max'])
    D = cam.d_min / s
    width = 1.8 * lay['car_width_scale'] * rng.uniform(0.9, 1.1)
    height = rng.uniform(*height_range)
    lo, hi = road[0] + width / 2, road[1] - width / 2
    X = rng.uniform(lo, hi) if hi > lo else 0.5 * (road[0] + road[1])
    centre = 0.5 * (road[0] + road[1])
    T = len(zoom)
    u = rng.uniform()
    if u < 0.3:
        q = 0.0  # parked
    elif X > centre:
        # Same direction as the camera: pulls away, keeps its distance or is slowly caught up.
        q = -rng.uniform(-0.2, 1.0) * lay['car_speed']
    else:
        q = rng.uniform(0.3, 1.0) * lay['car_speed']  # oncoming
    k = (1.0 + q) ** np.arange(T)
    layers = _mover_layers(cam, X, D, -width / 2, width / 2, height, float(np.max(zoom * k)))
    body = look.car_body()
    glass = look.colours['glass']
    hb = body_ratio * height
    for sx in (-1, 1):  # wheels first, the body overlaps their tops
        layers.poly(
            _billboard(
                cam, X, D, *sorted((sx * (width / 2 - 0.05), sx * (width / 2 - 0.4))), 0.0, 0.45
            ),
            CAR,
            look.colours['wheel'],
        )
    c = 0.12 * width
    layers.poly(
        cam.project(
            [
                X - width / 2,
                X + width / 2,
                X + width / 2,
                X + width / 2 - c,
                X - width / 2 + c,
                X - width / 2,
            ],
            [0.18, 0.18, hb - c, hb, hb, hb - c],
            D,
        ),
        CAR,
        body,
    )
    layers.poly(
        cam.project(
            [X - 0.45 * width, X + 0.45 * width, X + 0.34 * width, X - 0.34 * width],
            [hb, hb, height, height],
            D,
        ),
        CAR,
        look.shade(body, 0.9),
    )
    layers.poly(
        cam.project(
            [X - 0.40 * width, X + 0.40 * width, X + 0.30 * width, X - 0.30 * width],
            [hb + 0.05, hb + 0.05, height - 0.08, height - 0.08],
            D,
        ),
        CAR,
        glass,
    )
    for sx in (-1, 1):
        layers.poly(
            _billboard(
                cam,
                X,
                D,
                *sorted((sx * (width / 2 - 0.05), sx * (width / 2 - 0.3))),
                0.62 * hb,
                0.8 * hb,
            ),
            CAR,
            look.colours['tail_lamp'],
        )
    layers.poly(
        _billboard(cam, X, D, -0.25, 0.25, 0.35 * hb, 0.55 * hb), CAR, look.colours['plate']
    )
    return Mover(layers, D, k, np.zeros(T))


def make_person(
    cam: Camera,
    look: Look,
    sidewalks,
    T: int,
    rng,
    height_range: Tuple[float, float] = (1.55, 1.9),
    girth: float = 1.0,
    speed: float = PERSON_SPEED,
) -> Mover:
    """A pedestrian walking sideways on a sidewalk: legs, torso, arms, head (person). ``girth``
    scales the torso and arm widths; ``speed`` is the fastest walk in frame-0 px/frame."""
    s = math.exp(rng.uniform(math.log(0.2), math.log(1.0)))
    D = cam.d_min / s
    lo, hi = sidewalks[int(rng.integers(2))]
    X = rng.uniform(lo + 0.3, hi - 0.3) if hi - lo > 0.6 else 0.5 * (lo + hi)
    h = rng.uniform(*height_range)
    layers = _mover_layers(cam, X, D, -0.35, 0.35, 1.05 * h, 1.0)
    pants, shirt, skin = look.clothes(), look.clothes(), look.colours['skin']
    leg = max(0.16, 0.5 * MIN_POLE_PX * D / cam.f)
    for sx in (-1, 1):
        layers.poly(
            _billboard(cam, X, D, *sorted((sx * 0.02, sx * (0.02 + leg))), 0.0, 0.5 * h),
            PERSON,
            pants,
        )
        layers.poly(
            _billboard(cam, X, D, *sorted((sx * 0.2 * girth, sx * 0.29 * girth)), 0.45 * h, 0.8 * h),
            PERSON,
            shirt,
        )
    torso = 0.2 * girth
    layers.poly(_billboard(cam, X, D, -torso, torso, 0.47 * h, 0.83 * h), PERSON, shirt)
    cx, cy = cam.project(X, 0.91 * h, D)
    layers.circle(cx, cy, cam.f * 0.1 * h / D, PERSON, skin)
    walk = rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.0) * speed
    return Mover(layers, D, np.ones(T), walk * np.arange(T))


