"""Scene parameters of generator version 1: classes painted, style and layout factors, palettes,
camera and motion constants.

Every factor is a pair (source value, target value at shift 1); ``resolve_factors`` interpolates
it linearly at a shift in [0, 1]. The values follow a measured prototype of the domain gap
(docs/data.md, "The embedded sim-to-real pair").
"""

from typing import Dict, Tuple

import numpy as np

from uda_toolbox.utils.classes import VIDEO_UDA_CLASSES

_CID = {name: i for i, name in enumerate(VIDEO_UDA_CLASSES)}
ROAD, SIDEWALK, BUILDING = _CID['road'], _CID['sidewalk'], _CID['building']
POLE, SIGN, VEGETATION = _CID['pole'], _CID['traffic sign'], _CID['vegetation']
TERRAIN, SKY, PERSON, CAR = _CID['terrain'], _CID['sky'], _CID['person'], _CID['car']
# The classes version 1 paints (train ids of ``VIDEO_UDA_CLASSES``); the other five never occur.
RENDERED_CLASSES = tuple(
    VIDEO_UDA_CLASSES[i]
    for i in sorted((ROAD, SIDEWALK, BUILDING, POLE, SIGN, VEGETATION, TERRAIN, SKY, PERSON, CAR))
)

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
    building_height_min=(0.5, 0.9),  # height ratio; height = ratio x BUILDING_HEIGHT_UNIT m
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
TEXTURE_WEIGHT = np.ones(256, np.float32)
TEXTURE_WEIGHT[[SKY, CAR, POLE, SIGN]] = (0.3, 0.6, 0.5, 0.4)
TEXTURE_WEIGHT[VEGETATION] = 1.5

# Supersampling of the canvas and of the colour frame (area down-sampled afterwards).
SUPERSAMPLE = 2
# Camera height in m (raised: the road at the bottom row is about 7 m wide at road_width 0.75).
CAM_HEIGHT = 2.5
FOCAL = 0.6  # focal length as a fraction of the frame width (about 80 degrees horizontal view)
PAN_MAX = 0.8  # sideways pan, px/frame
ZOOM_RATE_MAX = 0.024  # forward motion: zoom z_t = (1 + r)^t about the vanishing point
ZOOM_TOTAL_MAX = 2.0  # so long clips do not zoom into a blur
PERSON_SPEED = 0.6  # px/frame (frame-0 units), sideways
# Poles, trunks and arms are at least this wide in px (the prototype's 1 px pole scored 0 IoU).
MIN_POLE_PX = 2.2
BUILDING_HEIGHT_UNIT = 9.0  # m: a building of height ratio 1
FAR = 1e9  # depth of the background (sky, ground, buildings): every object is in front of it


def lerp(a: float, b: float, s: float) -> float:
    return a + (b - a) * s


def resolve_factors(table: Dict[str, Tuple[float, float]], shift: float) -> Dict[str, float]:
    """Every factor of ``STYLE_FACTORS`` / ``LAYOUT_FACTORS`` at ``shift`` (0 source, 1 target)."""
    return {k: lerp(a, b, shift) for k, (a, b) in table.items()}

