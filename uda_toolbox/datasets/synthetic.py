"""The embedded sim-to-real pair: two procedurally generated street-scene VIDEO domains.

A source domain that looks like a simple simulator (saturated flat palette, clean images, labels on
every frame) and a target domain that looks more like a real camera (desaturated palette, hue
rotation, lighting, vignette, gamma, fine texture, blur and sensor noise) with a different street
layout (higher horizon, wider road, narrower sidewalks, more, farther and smaller cars, more persons
and poles, fewer trees, taller narrower buildings). Labels on the target are written only at every
``annotation_interval``-th frame, like Cityscapes-VPS. Two knobs interpolate every factor linearly
from the source (0) to the full target (1): ``style_shift`` and ``layout_shift``. The design follows
the measured prototype in ``shared/research/synthetic_gap.md``.

Geometry: a pinhole camera (height 2.5 m) looks down a straight street whose ground lines meet at
the vanishing point. The static world of a clip (sky, far skyline, road, sidewalks, terrain,
buildings with windows, trees, poles with lamps and signs) is painted once on a supersampled canvas
in frame-0 coordinates, with a texture attached to the world. Ego-motion is a zoom about the
vanishing point plus a sideways pan (prototype); cars move along their lane (a per-object zoom about
the vanishing point, so they stay on the road) and persons walk sideways. Every frame is an affine
image of the canvas and of each object's own pre-painted patch, so the generator knows the exact
optical flow: with ``u - x_v = a_t (x0 - x_v) + b_t`` and ``v - y_h = a_t (y0 - y_h)`` mapping a
point of the owner (the static world or one object) in frame-0 coordinates to frame ``t``, the flow
from frame ``t`` to ``t'`` at pixel (u, v) is ``(a_t'/a_t (u - x_v - b_t) + b_t' - (u - x_v),
(a_t'/a_t - 1)(v - y_h))``. Occlusion is not modelled in the flow (it says where the scene point
goes, visible or not).

Only numpy, OpenCV and the standard library are used, so data generation never needs torch or mmseg.
"""

from __future__ import annotations

import colorsys
import json
import math
import multiprocessing
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from uda_toolbox.utils.classes import IGNORE_INDEX, VIDEO_UDA_CLASSES
from uda_toolbox.utils.io import atomic_write, write_npy_atomic, write_png_atomic

# Bump whenever the bytes written for the same parameters change, so cached pairs are regenerated.
GENERATOR_VERSION = 'uda_toolbox.synthetic/1'

PathLike = Union[str, os.PathLike]

_CID = {name: i for i, name in enumerate(VIDEO_UDA_CLASSES)}
ROAD, SIDEWALK, BUILDING = _CID['road'], _CID['sidewalk'], _CID['building']
POLE, SIGN, VEGETATION = _CID['pole'], _CID['traffic sign'], _CID['vegetation']
TERRAIN, SKY, PERSON, CAR = _CID['terrain'], _CID['sky'], _CID['person'], _CID['car']
# : The classes the generator paints (train ids of ``VIDEO_UDA_CLASSES``); the other five never
# occur.
RENDERED_CLASSES = tuple(
    VIDEO_UDA_CLASSES[i]
    for i in sorted((ROAD, SIDEWALK, BUILDING, POLE, SIGN, VEGETATION, TERRAIN, SKY, PERSON, CAR))
)

# : (domain, split) of every split, in generation order; written under
# ``<out_dir>/<domain>/<split>``.
SPLITS = (('source', 'train'), ('target', 'train'), ('target', 'val'))
_DOMAIN_CODE = {'source': 1, 'target': 2}
_SPLIT_CODE = {'train': 1, 'val': 2}

# Appearance factors: (source value, target value at style_shift = 1); prototype table "Style
# shift".
STYLE_FACTORS: Dict[str, Tuple[float, float]] = dict(
    hue_rotation=(0.0, 0.06),  # global hue rotation, fraction of the hue circle
    saturation=(1.0, 0.8),  # global saturation multiplier
    car_saturation_min=(0.45, 0.0),
    car_saturation_max=(0.9, 0.15),  # grey, white and black cars in the target
    clothes_saturation_max=(1.0, 0.3),
    texture_amplitude=(0.02, 0.18),  # world-attached multiplicative noise, std
    texture_scale=(12.0, 3.0),  # px (at frame 0) of the finest octave
    brightness_min=(0.95, 0.8),
    brightness_max=(1.05, 1.15),  # per clip
    warm_cast=(0.0, 0.08),  # red up, blue down
    vertical_gradient=(0.0, 0.35),  # top-to-bottom brightness drop
    vignette=(0.0, 0.35),  # brightness drop in the corners
    gamma=(1.0, 1.2),
    blur_sigma=(0.0, 0.8),  # px, Gaussian
    noise_sigma=(0.0, 0.04),  # of full scale, Gaussian, new every frame
)

# Layout factors: (source value, target value at layout_shift = 1); prototype table "Layout shift".
LAYOUT_FACTORS: Dict[str, Tuple[float, float]] = dict(
    horizon=(0.46, 0.36),  # row of the horizon, fraction of H (jittered by +-0.04 per clip)
    road_width=(0.75, 1.0),  # road width at the bottom row, fraction of W
    sidewalk_ratio=(0.45, 0.30),  # width of each sidewalk relative to the road
    cars_mean=(1.5, 4.0),  # Poisson mean per clip
    car_scale_min=(0.45, 0.15),  # depth scale (1 = foot on the bottom row) where cars are placed
    car_scale_max=(1.0, 0.7),
    car_width_scale=(1.0, 0.85),
    car_speed=(0.015, 0.025),  # max relative depth change per frame along the lane
    persons_mean=(1.0, 3.0),
    poles_mean=(2.5, 4.0),
    trees_mean=(3.0, 1.5),
    building_length_min=(10.0, 6.0),  # m along the street
    building_length_max=(28.0, 18.0),
    building_height_min=(0.5, 0.9),  # height ratio; height = ratio x _BUILDING_HEIGHT_UNIT m
    building_height_max=(1.1, 1.8),
)

# Material colours, RGB in [0, 1]: (source, target at style_shift = 1). Source: saturated flat
# simulator colours; target: desaturated greys and browns with low contrast between road, sidewalk
# and pole (prototype palette).
PALETTE: Dict[str, Tuple[Tuple[float, float, float], Tuple[float, float, float]]] = dict(
    sky=((0.30, 0.60, 1.00), (0.74, 0.77, 0.80)),
    sky_horizon=((0.65, 0.85, 1.00), (0.86, 0.86, 0.85)),
    road=((0.25, 0.25, 0.30), (0.42, 0.40, 0.37)),
    lane=((1.00, 1.00, 1.00), (0.72, 0.71, 0.66)),
    sidewalk=((1.00, 0.45, 0.80), (0.52, 0.50, 0.48)),
    terrain=((0.55, 1.00, 0.30), (0.42, 0.45, 0.28)),
    window=((0.10, 0.80, 1.00), (0.20, 0.22, 0.25)),
    vegetation=((0.05, 0.85, 0.10), (0.20, 0.28, 0.13)),
    trunk=((0.60, 0.30, 0.05), (0.28, 0.24, 0.20)),
    pole=((1.00, 0.90, 0.00), (0.42, 0.42, 0.42)),
    lamp=((1.00, 1.00, 0.60), (0.80, 0.80, 0.75)),
    skin=((1.00, 0.75, 0.55), (0.70, 0.55, 0.45)),
    glass=((0.45, 0.85, 1.00), (0.13, 0.15, 0.18)),
    wheel=((0.05, 0.05, 0.05), (0.06, 0.06, 0.06)),
    tail_lamp=((1.00, 0.10, 0.10), (0.60, 0.10, 0.10)),
    plate=((1.00, 1.00, 1.00), (0.75, 0.75, 0.72)),
)
BUILDING_PALETTE = (
    ((1.00, 0.55, 0.10), (0.55, 0.50, 0.45)),
    ((0.95, 0.25, 0.20), (0.45, 0.38, 0.33)),
    ((1.00, 0.85, 0.20), (0.66, 0.63, 0.58)),
    ((0.60, 0.30, 0.90), (0.38, 0.37, 0.37)),
)
SIGN_PALETTE = (
    ((1.00, 0.05, 0.05), (0.70, 0.20, 0.18)),
    ((0.00, 0.30, 1.00), (0.20, 0.30, 0.55)),
    ((1.00, 1.00, 0.00), (0.75, 0.70, 0.25)),
)

# How strongly the world texture modulates each class (sky: faint clouds; foliage: strong).
_TEXTURE_WEIGHT = np.ones(256, np.float32)
_TEXTURE_WEIGHT[[SKY, CAR, POLE, SIGN]] = (0.3, 0.6, 0.5, 0.4)
_TEXTURE_WEIGHT[VEGETATION] = 1.5

_SS = 2  # supersampling of the canvas and of the colour frame (area down-sampled afterwards)
_CAM_HEIGHT = (
    2.5  # m (a raised camera: the road at the bottom row is about 7 m wide at road_width 0.75)
)
_FOCAL = (
    0.6  # focal length as a fraction of the frame width (about 80 degrees horizontal field of view)
)
_PAN_MAX = 0.8  # sideways pan, px/frame
_ZOOM_RATE_MAX = 0.024  # forward motion: zoom z_t = (1 + r)^t about the vanishing point
_ZOOM_TOTAL_MAX = 2.0  # so long clips do not zoom into a blur
_PERSON_SPEED = 0.6  # px/frame (frame-0 units), sideways
_MIN_POLE_PX = (
    2.2  # poles, trunks and arms are at least this wide (the prototype's 1 px pole scored 0 IoU)
)
_BUILDING_HEIGHT_UNIT = 9.0  # m: a building of height ratio 1
_FAR = 1e9  # depth of the background (sky, ground, buildings): every object is in front of it


def _lerp(a: float, b: float, s: float) -> float:
    return a + (b - a) * s


def resolve_factors(table: Dict[str, Tuple[float, float]], shift: float) -> Dict[str, float]:
    """Every factor of ``STYLE_FACTORS`` / ``LAYOUT_FACTORS`` at ``shift`` (0 source, 1 target)."""
    return {k: _lerp(a, b, shift) for k, (a, b) in table.items()}


# --------------------------------------------------------------------------------------------------
# ------------ Parameters and seeds ----------------------------------------------------------------
# ----------------------------------------------
@dataclass(frozen=True)
class SyntheticPairParams:
    """Everything that determines the bytes written (``workers`` and ``overwrite`` do not)."""

    seed: int = 0
    style_shift: float = 0.6
    layout_shift: float = 0.6
    height: int = 64
    width: int = 128
    num_source_clips: int = 40
    num_target_train_clips: int = 40
    num_target_val_clips: int = 20
    clip_length: int = 30
    annotation_interval: int = 5

    def __post_init__(self):
        for name in (
            'seed',
            'height',
            'width',
            'num_source_clips',
            'num_target_train_clips',
            'num_target_val_clips',
            'clip_length',
            'annotation_interval',
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f'synthetic pair: {name} must be an int, got {value!r}')
            object.__setattr__(self, name, int(value))
        for name in ('style_shift', 'layout_shift'):
            value = float(getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(
                    f'synthetic pair: {name} must be in [0, 1] (0 = source, 1 = full target), '
                    f'got {value}'
                )
            object.__setattr__(self, name, value)
        if self.height < 16 or self.width < 16:
            raise ValueError(
                f'synthetic pair: height and width must be >= 16, got {self.height}x{self.width}'
            )
        if self.clip_length < 2:
            raise ValueError(
                f'synthetic pair: clip_length must be >= 2 (flow needs two frames), '
                f'got {self.clip_length}'
            )
        if not 1 <= self.annotation_interval <= self.clip_length:
            raise ValueError(
                f'synthetic pair: annotation_interval must be in [1, clip_length='
                f'{self.clip_length}], got {self.annotation_interval}'
            )
        for name in ('num_source_clips', 'num_target_train_clips', 'num_target_val_clips'):
            if getattr(self, name) < 1:
                raise ValueError(f'synthetic pair: {name} must be >= 1, got {getattr(self, name)}')
        if self.seed < 0:
            raise ValueError(f'synthetic pair: seed must be >= 0, got {self.seed}')

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def num_clips(self, domain: str, split: str) -> int:
        return {
            ('source', 'train'): self.num_source_clips,
            ('target', 'train'): self.num_target_train_clips,
            ('target', 'val'): self.num_target_val_clips,
        }[(domain, split)]

    def labelled_frames(self, domain: str) -> List[int]:
        """0-based labelled frame ids: all on the source; k-1, 2k-1, ... on the target."""
        if domain == 'source':
            return list(range(self.clip_length))
        k = self.annotation_interval
        return list(range(k - 1, self.clip_length, k))


def clip_seed(seed: int, domain: str, split: str, index: int) -> np.random.SeedSequence:
    """The seed of one clip: every clip is reproducible on its own, in any process and any order."""
    return np.random.SeedSequence([int(seed), _DOMAIN_CODE[domain], _SPLIT_CODE[split], int(index)])


def clip_name(index: int, num_clips: int) -> str:
    """Zero-padded clip id (``003``); wider only if there are more than 1000 clips."""
    return f'{index:0{max(3, len(str(num_clips - 1)))}d}'


# --------------------------------------------------------------------------------------------------
# ------------ Rasters and painting ----------------------------------------------------------------
# ----------------------------------------------
class _Layers:
    """Label, colour (BGR float32) and optional depth rasters over frame-0 coordinates, painted in
    fixed point.

    Raster pixel ``(i, j)`` has its centre at frame-0 coordinates ``(ox + (i + .5) / scale - .5, oy
    + ...)``, so a raster with ``scale`` s covers whole frame pixels exactly (s x s raster pixels
    per frame pixel).
    """

    def __init__(
        self,
        ox: float,
        oy: float,
        scale: float,
        h: int,
        w: int,
        label: int,
        colour: Sequence[float],
        depth: bool,
    ):
        self.ox, self.oy, self.scale = float(ox), float(oy), float(scale)
        self.label = np.full((h, w), label, np.uint8)
        self.colour = np.empty((h, w, 3), np.float32)
        self.colour[:] = colour
        self.depth = np.full((h, w), _FAR, np.float32) if depth else None

    def fixed(self, xy: np.ndarray) -> np.ndarray:
        """Frame-0 (x, y) points (N, 2) -> int32 raster points, 4 fractional bits (``shift=4``)."""
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        px = (xy[:, 0] - self.ox + 0.5) * self.scale - 0.5
        py = (xy[:, 1] - self.oy + 0.5) * self.scale - 0.5
        return np.round(np.stack([px, py], 1) * 16).astype(np.int32)

    def poly(self, xy, label: int, colour, depth: Optional[float] = None) -> None:
        pts = [self.fixed(xy)]
        cv2.fillPoly(self.label, pts, int(label), shift=4)
        cv2.fillPoly(self.colour, pts, tuple(float(c) for c in colour), shift=4)
        if depth is not None and self.depth is not None:
            cv2.fillPoly(self.depth, pts, float(depth), shift=4)

    def circle(
        self, cx: float, cy: float, r: float, label: int, colour, depth: Optional[float] = None
    ) -> None:
        centre = tuple(int(v) for v in self.fixed([[cx, cy]])[0])
        radius = max(1, int(round(r * self.scale * 16)))
        cv2.circle(self.label, centre, radius, int(label), -1, shift=4)
        cv2.circle(self.colour, centre, radius, tuple(float(c) for c in colour), -1, shift=4)
        if depth is not None and self.depth is not None:
            cv2.circle(self.depth, centre, radius, float(depth), -1, shift=4)


def _value_noise(shape: Tuple[int, int], cell: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth noise (h, w) float32 with features of about ``cell`` raster pixels, unit std."""
    h, w = shape
    cell = max(cell, 1.0)
    gh, gw = int(math.ceil(h / cell)) + 3, int(math.ceil(w / cell)) + 3
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    up = cv2.resize(
        grid, (int(round(gw * cell)), int(round(gh * cell))), interpolation=cv2.INTER_CUBIC
    )
    out = up[:h, :w]
    return out / max(float(out.std()), 1e-6)


def _texture(shape: Tuple[int, int], cell: float, rng: np.random.Generator) -> np.ndarray:
    """Multi-scale texture (h, w), about unit std: octaves at 1, 2.5 and 6 cells (raster px)."""
    tex = (
        0.6 * _value_noise(shape, cell, rng)
        + 0.6 * _value_noise(shape, 2.5 * cell, rng)
        + 0.5 * _value_noise(shape, 6.0 * cell, rng)
    )
    return tex / 0.97


# --------------------------------------------------------------------------------------------------
# ------------ Appearance of one clip --------------------------------------------------------------
# ------------------------------------------------
class _Look:
    """The clip's colours: palette at the style shift, jittered, hue-rotated, desaturated."""

    def __init__(self, style: Dict[str, float], shift: float, rng: np.random.Generator):
        self.style, self.shift, self.rng = style, shift, rng
        self.colours = {name: self.material(src, tgt) for name, (src, tgt) in PALETTE.items()}

    def grade(self, rgb: Sequence[float]) -> Tuple[float, float, float]:
        """Global hue rotation and saturation multiplier; returns BGR."""
        h, s, v = colorsys.rgb_to_hsv(*(min(max(c, 0.0), 1.0) for c in rgb))
        r, g, b = colorsys.hsv_to_rgb(
            (h + self.style['hue_rotation']) % 1.0, min(1.0, s * self.style['saturation']), v
        )
        return (b, g, r)

    def material(self, src, tgt, jitter: float = 0.03) -> Tuple[float, float, float]:
        rgb = np.array([_lerp(a, b, self.shift) for a, b in zip(src, tgt)])
        return self.grade(rgb + self.rng.uniform(-jitter, jitter, 3))

    def pick(self, table) -> Tuple[float, float, float]:
        src, tgt = table[int(self.rng.integers(len(table)))]
        return self.material(src, tgt, jitter=0.05)

    def car_body(self) -> Tuple[float, float, float]:
        s = self.rng.uniform(self.style['car_saturation_min'], self.style['car_saturation_max'])
        v = self.rng.uniform(_lerp(0.6, 0.1, self.shift), 0.95)
        return self.grade(colorsys.hsv_to_rgb(self.rng.uniform(), s, v))

    def clothes(self) -> Tuple[float, float, float]:
        s_max = self.style['clothes_saturation_max']
        s = self.rng.uniform(0.7 * s_max, s_max)
        v = self.rng.uniform(_lerp(0.7, 0.1, self.shift), _lerp(1.0, 0.6, self.shift))
        return self.grade(colorsys.hsv_to_rgb(self.rng.uniform(), s, v))

    @staticmethod
    def shade(colour, k: float) -> Tuple[float, float, float]:
        return tuple(min(1.0, c * k) for c in colour)


# --------------------------------------------------------------------------------------------------
# ------------ Scene: camera, static canvas, moving objects ----------------------------------------
# ----------------------------------------------------------------------
@dataclass
class _Camera:
    height: int
    width: int
    x_v: float  # vanishing point column (frame-0 px)
    y_h: float  # horizon row
    f: float  # focal length, px

    @property
    def d_min(self) -> float:
        """Distance (m) of the ground point on the bottom row of frame 0."""
        return self.f * _CAM_HEIGHT / (self.height - self.y_h)

    def project(self, X, Y, D):
        """World (lateral X, height Y, distance D) in metres -> frame-0 (x, y) px."""
        X, Y, D = np.broadcast_arrays(*(np.asarray(a, np.float64) for a in (X, Y, D)))
        return np.stack([self.x_v + self.f * X / D, self.y_h + self.f * (_CAM_HEIGHT - Y) / D], -1)

    def min_width(self, D: float, metres: float) -> float:
        """A width in metres that projects to at least ``_MIN_POLE_PX`` px at distance D."""
        return max(metres, _MIN_POLE_PX * D / self.f)


@dataclass
class _Mover:
    """A moving object painted once on its own patch; frame t shows it at ``(a_t, b_t)``."""

    layers: _Layers
    depth0: float  # distance at frame 0 (m)
    k: np.ndarray  # (T,) its own zoom about the vanishing point (motion along the lane)
    shift: np.ndarray  # (T,) its own sideways shift (frame-0 px)


@dataclass
class _Scene:
    cam: _Camera
    canvas: _Layers
    zoom: np.ndarray  # (T,)
    pan: np.ndarray  # (T,)
    movers: List[_Mover]


def _quad(cam: _Camera, X: float, y0: float, y1: float, d0: float, d1: float) -> np.ndarray:
    """A facade rectangle in the plane X, heights y0..y1, distances d0..d1 -> 4 frame-0 points."""
    return cam.project([X, X, X, X], [y0, y0, y1, y1], [d0, d1, d1, d0])


def _billboard(
    cam: _Camera, X: float, D: float, x0: float, x1: float, y0: float, y1: float
) -> np.ndarray:
    """A rectangle facing the camera at distance D, lateral X + x0..x1, heights y0..y1."""
    return cam.project([X + x0, X + x1, X + x1, X + x0], [y0, y0, y1, y1], D)


def _wedge(cam: _Camera, X0: float, X1: float, bottom: float) -> np.ndarray:
    """Ground strip between lateral X0 and X1, from the vanishing point to the row ``bottom``."""
    k = (
        bottom - cam.y_h
    ) / _CAM_HEIGHT  # ground at row y has lateral scale f / D = (y - y_h) / cam height
    return np.array([[cam.x_v, cam.y_h], [cam.x_v + X0 * k, bottom], [cam.x_v + X1 * k, bottom]])


def _paint_buildings(
    canvas: _Layers,
    cam: _Camera,
    look: _Look,
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
        height = _BUILDING_HEIGHT_UNIT * rng.uniform(
            lay['building_height_min'], lay['building_height_max']
        )
        colour = look.pick(BUILDING_PALETTE)
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


def _paint_tree(canvas: _Layers, cam: _Camera, look: _Look, X: float, D: float, rng) -> None:
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


def _paint_pole(
    canvas: _Layers, cam: _Camera, look: _Look, X: float, D: float, side: int, rng
) -> None:
    """A pole (>= 2.2 px wide), maybe a lamp arm (pole) and a sign plate (traffic sign)."""
    height = rng.uniform(4.0, 6.0)
    w = cam.min_width(D, 0.15)
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
        size = max(0.6, 3.2 * D / cam.f)
        y = rng.uniform(2.0, 2.8)
        plate = look.pick(SIGN_PALETTE)
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
    cam: _Camera, X: float, D: float, x0: float, x1: float, y1: float, magnify: float
) -> _Layers:
    """An empty patch (label 255 = transparent) around a billboard object x0..x1, height y1."""
    (bx0, by1), (bx1, by0) = cam.project([X + x0, X + x1], [0.0, y1], D)
    pad = 1.0
    scale = _SS * min(max(1.0, magnify), 8.0)
    ox, oy = math.floor(bx0 - pad), math.floor(by0 - pad)
    w = int(math.ceil((bx1 + pad - ox) * scale)) + 1
    h = int(math.ceil((by1 + pad - oy) * scale)) + 1
    return _Layers(ox, oy, scale, h, w, IGNORE_INDEX, (0.0, 0.0, 0.0), depth=False)


def _make_car(
    cam: _Camera,
    look: _Look,
    lay: Dict[str, float],
    road: Tuple[float, float],
    zoom: np.ndarray,
    rng,
) -> _Mover:
    """A car on the road: body, glass cabin, wheels, lamps, plate (all labelled car)."""
    s = rng.uniform(lay['car_scale_min'], lay['car_scale_max'])
    D = cam.d_min / s
    width = 1.8 * lay['car_width_scale'] * rng.uniform(0.9, 1.1)
    height = rng.uniform(1.35, 1.65)
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
    hb = 0.58 * height
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
    return _Mover(layers, D, k, np.zeros(T))


def _make_person(cam: _Camera, look: _Look, sidewalks, T: int, rng) -> _Mover:
    """A pedestrian walking sideways on a sidewalk: legs, torso, arms, head (person)."""
    s = math.exp(rng.uniform(math.log(0.2), math.log(1.0)))
    D = cam.d_min / s
    lo, hi = sidewalks[int(rng.integers(2))]
    X = rng.uniform(lo + 0.3, hi - 0.3) if hi - lo > 0.6 else 0.5 * (lo + hi)
    h = rng.uniform(1.55, 1.9)
    layers = _mover_layers(cam, X, D, -0.35, 0.35, 1.05 * h, 1.0)
    pants, shirt, skin = look.clothes(), look.clothes(), look.colours['skin']
    leg = max(0.16, 0.5 * _MIN_POLE_PX * D / cam.f)
    for sx in (-1, 1):
        layers.poly(
            _billboard(cam, X, D, *sorted((sx * 0.02, sx * (0.02 + leg))), 0.0, 0.5 * h),
            PERSON,
            pants,
        )
        layers.poly(
            _billboard(cam, X, D, *sorted((sx * 0.2, sx * 0.29)), 0.45 * h, 0.8 * h), PERSON, shirt
        )
    layers.poly(_billboard(cam, X, D, -0.2, 0.2, 0.47 * h, 0.83 * h), PERSON, shirt)
    cx, cy = cam.project(X, 0.91 * h, D)
    layers.circle(cx, cy, cam.f * 0.1 * h / D, PERSON, skin)
    speed = rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.0) * _PERSON_SPEED
    return _Mover(layers, D, np.ones(T), speed * np.arange(T))


def _build_scene(
    height: int, width: int, T: int, lay: Dict[str, float], look: _Look, rng: np.random.Generator
) -> _Scene:
    """Sample the clip's camera, ego-motion, static world (painted once) and moving objects."""
    cam = _Camera(
        height,
        width,
        x_v=width * (0.5 + rng.uniform(-0.12, 0.12)),
        y_h=height * (lay['horizon'] + rng.uniform(-0.04, 0.04)),
        f=_FOCAL * width,
    )
    # Ego-motion (prototype): forward motion as zoom about the vanishing point, plus a sideways pan.
    rate_max = min(_ZOOM_RATE_MAX, _ZOOM_TOTAL_MAX ** (1.0 / (T - 1)) - 1.0)
    zoom = (1.0 + rng.uniform(0.6, 1.0) * rate_max) ** np.arange(T)
    pan = rng.uniform(-_PAN_MAX, _PAN_MAX) * np.arange(T)
    margin = int(math.ceil(_PAN_MAX * (T - 1))) + 4
    canvas = _Layers(
        -margin, 0.0, _SS, _SS * height, _SS * (width + 2 * margin), SKY, (0, 0, 0), depth=True
    )

    # Street cross-section (metres): road, sidewalks, optional terrain strips, then the facades.
    d_min = cam.d_min
    half = lay['road_width'] * width / 2 * d_min / cam.f
    centre = rng.uniform(-0.15, 0.15) * half
    road = (centre - half, centre + half)
    walk = [2 * half * lay['sidewalk_ratio'] * rng.uniform(0.85, 1.15) for _ in range(2)]
    grass = [
        2 * half * 0.5 * rng.uniform(0.8, 1.6) if rng.uniform() < 0.4 else 0.0 for _ in range(2)
    ]
    sidewalks = [(road[0] - walk[0], road[0]), (road[1], road[1] + walk[1])]
    terrains = [
        (sidewalks[0][0] - grass[0], sidewalks[0][0]),
        (sidewalks[1][1], sidewalks[1][1] + grass[1]),
    ]
    faces = [terrains[0][0] - 0.01, terrains[1][1] + 0.01]

    # Sky with a vertical gradient, lighter towards the horizon.
    rows = (np.arange(canvas.label.shape[0]) + 0.5) / _SS - 0.5
    t = np.clip(rows / max(cam.y_h, 1.0), 0.0, 1.0)[:, None, None] ** 1.5
    top, hor = (
        np.array(look.colours['sky'], np.float32),
        np.array(look.colours['sky_horizon'], np.float32),
    )
    canvas.colour[:] = (top * (1 - t) + hor * t).astype(np.float32)
    x_lo, x_hi = -margin - 2.0, width + margin + 2.0
    # Far skyline at the horizon (building), hazy.
    x = x_lo
    while x < x_hi:
        w = rng.uniform(2.0, 7.0) * width / 128
        h = rng.uniform(0.5, 5.0) * height / 64
        haze = 0.55
        col = tuple((1 - haze) * a + haze * b for a, b in zip(look.pick(BUILDING_PALETTE), hor))
        canvas.poly(
            [[x, cam.y_h - h], [x + w, cam.y_h - h], [x + w, cam.y_h + 1], [x, cam.y_h + 1]],
            BUILDING,
            col,
        )
        x += w
    # Ground beyond the kerbs, then the strips (terrain if this side has grass, else sidewalk
    # paving).
    bottom = height + 2.0
    far_ground = TERRAIN if max(grass) > 0 else SIDEWALK
    canvas.poly(
        [[x_lo, cam.y_h], [x_hi, cam.y_h], [x_hi, bottom], [x_lo, bottom]],
        far_ground,
        look.colours['terrain' if far_ground == TERRAIN else 'sidewalk'],
    )
    for (a, b), g in zip(terrains, grass):
        if g > 0:
            canvas.poly(_wedge(cam, a, b, bottom), TERRAIN, look.colours['terrain'])
    for a, b in sidewalks:
        canvas.poly(_wedge(cam, a, b, bottom), SIDEWALK, look.colours['sidewalk'])
    canvas.poly(_wedge(cam, road[0], road[1], bottom), ROAD, look.colours['road'])
    # Dashed centre line: a texture detail, labelled road (prototype).
    d = d_min * 0.8 + rng.uniform(0.0, 9.0)
    while d < 80.0:
        canvas.poly(
            cam.project(
                [centre - 0.08, centre + 0.08, centre + 0.08, centre - 0.08],
                0.0,
                [d, d, d + 3.0, d + 3.0],
            ),
            ROAD,
            look.colours['lane'],
        )
        d += 9.0
    for side, X_face in ((-1, faces[0]), (1, faces[1])):
        _paint_buildings(canvas, cam, look, lay, side, X_face, rng)

    # Static props, painted far to near with their distance in the depth raster (for occlusion of
    # movers).
    props = []
    for _ in range(rng.poisson(lay['poles_mean'])):
        side = int(rng.integers(2))
        props.append(('pole', side, sidewalks[side][1 - side] + (0.4 if side else -0.4)))
    for _ in range(rng.poisson(lay['trees_mean'])):
        side = int(rng.integers(2))
        lo, hi = terrains[side] if grass[side] > 0 else sidewalks[side]
        props.append(
            (
                'tree',
                side,
                rng.uniform(min(lo, hi) + 0.25 * abs(hi - lo), max(lo, hi) - 0.25 * abs(hi - lo)),
            )
        )
    placed = []
    for kind, side, X in props:
        # Depth scale log-uniform (as many far props as near ones); poles a bit farther, they are
        # tall.
        s = math.exp(rng.uniform(math.log(0.1), math.log(0.7 if kind == 'pole' else 1.0)))
        placed.append((d_min / s, kind, side, X))
    for D, kind, side, X in sorted(placed, key=lambda p: -p[0]):
        if kind == 'pole':
            _paint_pole(canvas, cam, look, X, D, 1 if side else -1, rng)
        else:
            _paint_tree(canvas, cam, look, X, D, rng)

    # World-attached texture (moves with the scene because it lives on the canvas).
    # Texture noise comes from the appearance stream, so the style knob never changes the layout
    # draws.
    tex = _texture(canvas.label.shape, look.style['texture_scale'] * _SS, look.rng)
    gain = 1.0 + look.style['texture_amplitude'] * tex * _TEXTURE_WEIGHT[canvas.label]
    canvas.colour *= gain[..., None]

    movers = [
        _make_car(cam, look, lay, road, zoom, rng) for _ in range(rng.poisson(lay['cars_mean']))
    ]
    movers += [
        _make_person(cam, look, sidewalks, T, rng) for _ in range(rng.poisson(lay['persons_mean']))
    ]
    for m in movers:  # object-attached texture, premultiplied colour for linear warping
        lab = m.layers.label
        tex = _texture(lab.shape, look.style['texture_scale'] * m.layers.scale, look.rng)
        alpha = (lab != IGNORE_INDEX).astype(np.float32)
        m.layers.colour *= (
            (1.0 + look.style['texture_amplitude'] * tex * _TEXTURE_WEIGHT[lab]) * alpha
        )[..., None]
    return _Scene(cam, canvas, zoom, pan, movers)


# --------------------------------------------------------------------------------------------------
# ------------ Rendering frames and flow -----------------------------------------------------------
# ---------------------------------------------------
def _frame_to_raster(
    cam: _Camera, a: float, b: float, layers: _Layers, out_scale: float, dx: int = 0, dy: int = 0
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


def _roi(cam: _Camera, a: float, b: float, layers: _Layers, out_scale: int, w: int, h: int):
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


def _owner_params(scene: _Scene) -> Tuple[np.ndarray, np.ndarray]:
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


@dataclass
class RenderedClip:
    """One clip in memory: frames (T of (H, W, 3) uint8 BGR), labels (T of (H, W) uint8 train ids),
    flows (T - 1 each, (H, W, 2) float32 (dx, dy)): ``flow_fw[t]`` from frame t to t+1,
    ``flow_bw[t]`` from t+1 to t."""

    frames: List[np.ndarray]
    labels: List[np.ndarray]
    flow_fw: List[np.ndarray]
    flow_bw: List[np.ndarray]


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
    # Children derived without ``seed.spawn`` (which mutates the SeedSequence: a second call would
    # differ).
    layout_seq, look_seq, noise_seq = (
        np.random.SeedSequence(
            seed.entropy, spawn_key=(*seed.spawn_key, i), pool_size=seed.pool_size
        )
        for i in range(3)
    )
    style = resolve_factors(STYLE_FACTORS, style_shift)
    lay = resolve_factors(LAYOUT_FACTORS, layout_shift)
    look = _Look(style, style_shift, np.random.default_rng(look_seq))
    scene = _build_scene(height, width, length, lay, look, np.random.default_rng(layout_seq))
    noise_rng = np.random.default_rng(noise_seq)
    response = _camera_response(height, width, style, noise_rng)
    cam, canvas = scene.cam, scene.canvas
    a, b = _owner_params(scene)
    hi_w, hi_h = width * _SS, height * _SS
    frames, labels, owners = [], [], []
    for t in range(length):
        M = _frame_to_raster(cam, a[0, t], b[0, t], canvas, 1)
        label = _warp(canvas.label, M, (width, height), nearest=True)
        depth = _warp(canvas.depth, M, (width, height), nearest=True)
        owner = np.zeros((height, width), np.int64)
        M = _frame_to_raster(cam, a[0, t], b[0, t], canvas, _SS)
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
            box = _roi(cam, a[o, t], b[o, t], m.layers, _SS, hi_w, hi_h)
            if box is not None:
                x0, y0, x1, y1 = box
                M = _frame_to_raster(cam, a[o, t], b[o, t], m.layers, _SS, x0, y0)
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
    flow_fw = [true_flow(owners[t], a, b, t, t + 1, cam.x_v, cam.y_h) for t in range(length - 1)]
    flow_bw = [true_flow(owners[t], a, b, t, t - 1, cam.x_v, cam.y_h) for t in range(1, length)]
    return RenderedClip(frames, labels, flow_fw, flow_bw)


# --------------------------------------------------------------------------------------------------
# ------------ Writing the pair --------------------------------------------------------------------
# ------------------------------------------
def _write_clip(job: Tuple[dict, str, str, str, int]) -> List[int]:
    """Render and write one clip; returns class pixel counts (256,) of the labels written."""
    params_dict, root, domain, split, index = job
    params = SyntheticPairParams(**params_dict)
    target = domain == 'target'
    clip = render_clip(
        clip_seed(params.seed, domain, split, index),
        height=params.height,
        width=params.width,
        length=params.clip_length,
        style_shift=params.style_shift if target else 0.0,
        layout_shift=params.layout_shift if target else 0.0,
    )
    name = clip_name(index, params.num_clips(domain, split))
    split_root = Path(root) / domain / split
    labelled = set(params.labelled_frames(domain))
    counts = np.zeros(256, np.int64)
    for t in range(params.clip_length):
        stem = f'{name}_{t:05d}'
        write_png_atomic(split_root / 'img' / name / f'{stem}.png', clip.frames[t])
        if t in labelled:
            write_png_atomic(split_root / 'cls' / name / f'{stem}.png', clip.labels[t])
            counts += np.bincount(clip.labels[t].ravel(), minlength=256)
        if t > 0:
            write_npy_atomic(
                split_root / 'flow' / name / f'{stem}_bw.npy',
                clip.flow_bw[t - 1].astype(np.float16),
            )
        if t < params.clip_length - 1:
            write_npy_atomic(
                split_root / 'flow' / name / f'{stem}_fw.npy', clip.flow_fw[t].astype(np.float16)
            )
    return counts.tolist()


def _init_worker() -> None:
    # A fresh (spawned) process: one OpenCV thread per worker, the workers are the parallelism.
    cv2.setNumThreads(1)


def _meta(params: SyntheticPairParams, counts: Dict[str, np.ndarray]) -> dict:
    """The content of meta.json; no timings, so equal parameters give equal bytes."""
    splits = {}
    for domain, split in SPLITS:
        n, labelled = params.num_clips(domain, split), params.labelled_frames(domain)
        splits[f'{domain}/{split}'] = dict(
            num_clips=n,
            frames_per_clip=params.clip_length,
            num_frames=n * params.clip_length,
            num_labelled_frames=n * len(labelled),
            labelled_frame_ids=labelled,
        )
    freqs = {}
    for domain, c in counts.items():
        total = max(int(c.sum()), 1)
        freqs[domain] = {
            name: round(float(c[i]) / total, 6) for i, name in enumerate(VIDEO_UDA_CLASSES)
        }
    return dict(
        generator_version=GENERATOR_VERSION,
        params=params.to_dict(),
        splits=splits,
        classes=list(VIDEO_UDA_CLASSES),
        classes_present=list(RENDERED_CLASSES),
        ignore_index=IGNORE_INDEX,
        class_frequencies=freqs,
        class_frequencies_note='fraction of pixels per class over the label files of each domain',
        factors=dict(
            source=dict(
                style=resolve_factors(STYLE_FACTORS, 0.0),
                layout=resolve_factors(LAYOUT_FACTORS, 0.0),
            ),
            target=dict(
                style=resolve_factors(STYLE_FACTORS, params.style_shift),
                layout=resolve_factors(LAYOUT_FACTORS, params.layout_shift),
            ),
        ),
        flow=dict(
            dtype='float16',
            shape='(H, W, 2)',
            units='px',
            order='(dx, dy)',
            fw='flow from frame F to F+1: the point at p in F is at p + flow(p) in F+1',
            bw='flow from frame F to F-1',
            occlusion='not modelled (exact motion of the scene point)',
        ),
        seeds='SeedSequence([seed, domain (source 1, target 2), split (train 1, val 2), clip])',
    )


def _to_json(meta: dict) -> str:
    """Indented JSON with number lists kept on one line."""
    text = json.dumps(meta, indent=2)
    return (
        re.sub(
            r'\[([-\d.,\s]+)\]',
            lambda m: '[' + ', '.join(m.group(1).split()).replace(',,', ',') + ']',
            text,
        )
        + '\n'
    )


def _read_meta(out_dir: Path) -> Optional[dict]:
    try:
        with open(out_dir / 'meta.json') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _matches(meta: Optional[dict], params: SyntheticPairParams) -> bool:
    return (
        meta is not None
        and meta.get('generator_version') == GENERATOR_VERSION
        and meta.get('params') == params.to_dict()
    )


def _check_replaceable(out_dir: Path) -> None:
    """Only a previous synthetic pair (with our meta.json) or an empty directory is replaced."""
    if not out_dir.is_dir():
        raise FileExistsError(
            f'synthetic pair: {out_dir} exists and is not a directory; choose another --out'
        )
    meta = _read_meta(out_dir)
    if (meta is None or 'generator_version' not in meta) and any(out_dir.iterdir()):
        raise FileExistsError(
            f'synthetic pair: {out_dir} is not empty and has no synthetic meta.json, so it is '
            f'not a synthetic pair; refusing to overwrite it. Choose another --out (out_dir).'
        )


def _mismatch_error(
    out_dir: Path, meta: Optional[dict], params: SyntheticPairParams
) -> FileExistsError:
    if meta is None:
        why = 'it has no readable meta.json'
    elif meta.get('generator_version') != GENERATOR_VERSION:
        why = (
            f"it was written by generator {meta.get('generator_version')!r}, "
            f'this is {GENERATOR_VERSION!r}'
        )
    else:
        old = meta.get('params', {})
        diff = {k: (old.get(k), v) for k, v in params.to_dict().items() if old.get(k) != v}
        why = 'its parameters differ (existing, requested): ' + ', '.join(
            f'{k}={a!r} vs {b!r}' for k, (a, b) in diff.items()
        )
    return FileExistsError(
        f'synthetic pair: {out_dir} already exists but {why}. Pass overwrite=True '
        f'(--overwrite) to regenerate it, or choose another --out (out_dir).'
    )


def generate_synthetic_pair(
    out_dir: PathLike,
    *,
    seed: int = 0,
    style_shift: float = 0.6,
    layout_shift: float = 0.6,
    height: int = 64,
    width: int = 128,
    num_source_clips: int = 40,
    num_target_train_clips: int = 40,
    num_target_val_clips: int = 20,
    clip_length: int = 30,
    annotation_interval: int = 5,
    workers: int = 1,
    overwrite: bool = False,
    verbose: bool = True,
) -> Path:
    """Generate the source/target video pair under ``out_dir`` (layout: docs/data.md) and return its
    path.

    Everything is written into a hidden temporary sibling directory, ``meta.json`` last, which is
    then renamed onto ``out_dir``: an interrupted run never leaves a directory that looks complete.
    ``workers > 1`` renders clips in that many spawned processes; the bytes written are identical to
    ``workers=1``.

    Raises:
        FileExistsError: ``out_dir`` exists and ``overwrite`` is False (or it is not a synthetic
        pair at all).
    """
    params = SyntheticPairParams(
        seed,
        style_shift,
        layout_shift,
        height,
        width,
        num_source_clips,
        num_target_train_clips,
        num_target_val_clips,
        clip_length,
        annotation_interval,
    )
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f'synthetic pair: workers must be an int >= 1, got {workers!r}')
    out_dir = Path(out_dir)
    if out_dir.exists():
        if overwrite:
            _check_replaceable(out_dir)
        elif _matches(_read_meta(out_dir), params):
            raise FileExistsError(
                f'synthetic pair: {out_dir} already exists with the same parameters; use '
                f'ensure_synthetic_pair to reuse it, or pass overwrite=True (--overwrite) to '
                f'regenerate it'
            )
        else:
            raise _mismatch_error(out_dir, _read_meta(out_dir), params)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f'.{out_dir.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}'
    try:
        tmp.mkdir()
        counts = _render_all(params, tmp, workers, verbose)
        meta = _meta(params, counts)
        with atomic_write(tmp / 'meta.json') as f:
            f.write_text(_to_json(meta))
        _move_into_place(tmp, out_dir, params, overwrite)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _render_all(
    params: SyntheticPairParams, root: Path, workers: int, verbose: bool
) -> Dict[str, np.ndarray]:
    """Write every split under ``root``; returns per-domain class pixel counts (256,)."""
    counts = {domain: np.zeros(256, np.int64) for domain, _ in SPLITS}
    total = sum(params.num_clips(d, s) for d, s in SPLITS)
    # Spawned (not forked) workers: OpenCV's thread pool does not survive fork()
    # (opencv/opencv#5150).
    pool = (
        multiprocessing.get_context('spawn').Pool(min(workers, total), initializer=_init_worker)
        if workers > 1
        else None
    )
    try:
        for domain, split in SPLITS:
            t0 = time.perf_counter()
            n = params.num_clips(domain, split)
            jobs = [(params.to_dict(), str(root), domain, split, i) for i in range(n)]
            results = (
                pool.map(_write_clip, jobs) if pool is not None else [_write_clip(j) for j in jobs]
            )
            for c in results:
                counts[domain] += np.asarray(c, np.int64)
            if verbose:
                print(
                    f'[synthetic] {domain}/{split}: {n} clips x {params.clip_length} frames '
                    f'({n * len(params.labelled_frames(domain))} labelled) in '
                    f'{time.perf_counter() - t0:.1f} s',
                    flush=True,
                )
    finally:
        if pool is not None:
            pool.terminate()  # every job has finished (or one failed): nothing is left to wait for
            pool.join()
    return counts


def _move_into_place(
    tmp: Path, out_dir: Path, params: SyntheticPairParams, overwrite: bool
) -> None:
    """Rename the finished temporary dir onto ``out_dir`` (an old pair is moved aside first)."""
    if out_dir.exists():
        if not overwrite:
            # Another process finished the same pair first: keep theirs if it matches, else
            # complain.
            if _matches(_read_meta(out_dir), params):
                return
            raise _mismatch_error(out_dir, _read_meta(out_dir), params)
        _check_replaceable(out_dir)
        old = out_dir.parent / f'.{out_dir.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}'
        os.rename(out_dir, old)
        os.rename(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out_dir)


def ensure_synthetic_pair(
    out_dir: PathLike, *, overwrite: bool = False, verbose: bool = True, workers: int = 1, **kwargs
) -> Path:
    """Return ``out_dir`` holding the pair for these parameters, generating it only if needed
    (idempotent).

    If ``out_dir/meta.json`` records the same parameters and generator version nothing is touched.
    If ``out_dir`` exists otherwise, raise a ``FileExistsError`` naming it (pass ``overwrite=True``
    to regenerate). Keyword arguments are those of :func:`generate_synthetic_pair`.
    """
    params = SyntheticPairParams(**kwargs)
    out_dir = Path(out_dir)
    meta = _read_meta(out_dir)
    if _matches(meta, params):
        return out_dir
    if out_dir.exists() and not overwrite:
        raise _mismatch_error(out_dir, meta, params)
    return generate_synthetic_pair(
        out_dir, **params.to_dict(), workers=workers, overwrite=overwrite, verbose=verbose
    )
