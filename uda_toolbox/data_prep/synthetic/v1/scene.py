"""A version-1 clip's scene: the camera and ego-motion, the static world painted once on a
supersampled canvas in frame-0 coordinates (sky, far skyline, road, sidewalks, terrain, facades,
poles and trees, with a world-attached texture) and the moving objects.

Ego-motion is a zoom about the vanishing point plus a sideways pan; cars move along their lane (a
per-object zoom about the vanishing point, so they stay on the road) and persons walk sideways.
The renderer (``render.py``) shows every frame as an affine image of the canvas and of each
object's patch, which is why the flow is known exactly.
"""

import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from uda_toolbox.data_prep.synthetic.v1.canvas import Camera, Layers, texture
from uda_toolbox.data_prep.synthetic.v1.objects import (
    Look,
    Mover,
    make_car,
    make_person,
    paint_buildings,
    paint_pole,
    paint_tree,
    wedge,
)
from uda_toolbox.data_prep.synthetic.v1.params import (
    BUILDING,
    FOCAL,
    PAN_MAX,
    ROAD,
    SIDEWALK,
    SKY,
    SUPERSAMPLE,
    TERRAIN,
    TEXTURE_WEIGHT,
    ZOOM_RATE_MAX,
    ZOOM_TOTAL_MAX,
)
from uda_toolbox.utils.classes import IGNORE_INDEX


@dataclass
class Scene:
    cam: Camera
    canvas: Layers
    zoom: np.ndarray  # (T,)
    pan: np.ndarray  # (T,)
    movers: List[Mover]


def ego_motion(T: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray, float]:
    """Version 1's ego-motion (prototype): a constant zoom about the vanishing point (forward
    motion) plus a constant sideways pan. Returns zoom (T,) (>= 1), pan (T,) in frame-0 px and the
    largest |pan| any clip of this length may reach (the canvas margin)."""
    rate_max = min(ZOOM_RATE_MAX, ZOOM_TOTAL_MAX ** (1.0 / (T - 1)) - 1.0)
    zoom = (1.0 + rng.uniform(0.6, 1.0) * rate_max) ** np.arange(T)
    pan = rng.uniform(-PAN_MAX, PAN_MAX) * np.arange(T)
    return zoom, pan, PAN_MAX * (T - 1)


def world_texture(canvas: Layers, cam: Camera, look: Look, street: Dict[str, object]) -> None:
    """Version 1's world-attached texture (it moves with the scene because it lives on the canvas).
    The noise comes from the appearance stream, so the style knob never changes the layout draws."""
    tex = texture(canvas.label.shape, look.style['texture_scale'] * SUPERSAMPLE, look.rng)
    gain = 1.0 + look.style['texture_amplitude'] * tex * TEXTURE_WEIGHT[canvas.label]
    canvas.colour *= gain[..., None]


@dataclass(frozen=True)
class SceneKit:
    """The parts of a scene a generator version may replace (version 1's by default): ego-motion,
    the props, the moving objects and the appearance pass over the painted static world. Each is
    called with the arguments of version 1's function of the same job."""

    ego_motion: Callable = ego_motion
    paint_pole: Callable = paint_pole
    paint_tree: Callable = paint_tree
    make_car: Callable = make_car
    make_person: Callable = make_person
    world_appearance: Callable = world_texture


def build_scene(
    height: int,
    width: int,
    T: int,
    lay: Dict[str, float],
    look: Look,
    rng: np.random.Generator,
    kit: Optional[SceneKit] = None,
) -> Scene:
    """Sample the clip's camera, ego-motion, static world (painted once) and moving objects."""
    kit = SceneKit() if kit is None else kit
    cam = Camera(
        height,
        width,
        x_v=width * (0.5 + rng.uniform(-0.12, 0.12)),
        y_h=height * (lay['horizon'] + rng.uniform(-0.04, 0.04)),
        f=FOCAL * width,
    )
    zoom, pan, pan_limit = kit.ego_motion(T, rng)
    margin = int(math.ceil(pan_limit)) + 4
    canvas = Layers(-margin, 0.0, SUPERSAMPLE, SUPERSAMPLE * height,
                    SUPERSAMPLE * (width + 2 * margin), SKY, (0, 0, 0), depth=True)

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
    rows = (np.arange(canvas.label.shape[0]) + 0.5) / SUPERSAMPLE - 0.5
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
        col = tuple((1 - haze) * a + haze * b for a, b in zip(look.pick(look.buildings), hor))
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
            canvas.poly(wedge(cam, a, b, bottom), TERRAIN, look.colours['terrain'])
    for a, b in sidewalks:
        canvas.poly(wedge(cam, a, b, bottom), SIDEWALK, look.colours['sidewalk'])
    canvas.poly(wedge(cam, road[0], road[1], bottom), ROAD, look.colours['road'])
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
        paint_buildings(canvas, cam, look, lay, side, X_face, rng)

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
            kit.paint_pole(canvas, cam, look, X, D, 1 if side else -1, rng)
        else:
            kit.paint_tree(canvas, cam, look, X, D, rng)

    street = dict(road=road, sidewalks=sidewalks, terrains=terrains, faces=faces)
    kit.world_appearance(canvas, cam, look, street)

    movers = [
        kit.make_car(cam, look, lay, road, zoom, rng)
        for _ in range(rng.poisson(lay['cars_mean']))
    ]
    movers += [
        kit.make_person(cam, look, sidewalks, T, rng)
        for _ in range(rng.poisson(lay['persons_mean']))
    ]
    for m in movers:  # object-attached texture, premultiplied colour for linear warping
        lab = m.layers.label
        tex = texture(lab.shape, look.style['texture_scale'] * m.layers.scale, look.rng)
        alpha = (lab != IGNORE_INDEX).astype(np.float32)
        m.layers.colour *= (
            (1.0 + look.style['texture_amplitude'] * tex * TEXTURE_WEIGHT[lab]) * alpha
        )[..., None]
    return Scene(cam, canvas, zoom, pan, movers)


