"""Per-class materials and lighting of a version-2 street, painted once onto the static canvas (so
they move with the world, like version 1's texture).

Materials: each class has one pattern in the source and another in the target (``MATERIALS``),
blended by the ``material`` factor. Ground patterns (tiles, asphalt patches) live in world
coordinates (metres on the ground plane), so they shrink with distance like real paving.
Lighting: the sun stands on one side of the street; its facades cast shadows on the ground (with
sunlit gaps between buildings) and the facades of one side are in shade.
"""

from typing import Dict

import numpy as np

from uda_toolbox.data_prep.synthetic.v1.canvas import Camera, Layers, texture
from uda_toolbox.data_prep.synthetic.v1.objects import Look
from uda_toolbox.data_prep.synthetic.v1.params import CAM_HEIGHT
from uda_toolbox.data_prep.synthetic.v1.scene import world_texture
from uda_toolbox.data_prep.synthetic.v2.params import BUILDING, MATERIALS, ROAD, SIDEWALK, TERRAIN

GROUND = (ROAD, SIDEWALK, TERRAIN)


def _frame0_coords(canvas: Layers):
    """Frame-0 (x, y) of every canvas raster pixel centre, as (1, W) and (H, 1) arrays."""
    h, w = canvas.label.shape
    x = canvas.ox + (np.arange(w, dtype=np.float32) + 0.5) / canvas.scale - 0.5
    y = canvas.oy + (np.arange(h, dtype=np.float32) + 0.5) / canvas.scale - 0.5
    return x[None, :], y[:, None]


def _ground(cam: Camera, x: np.ndarray, y: np.ndarray):
    """World lateral X and distance D (m) of ground pixels (rows below the horizon)."""
    below = np.maximum(y - cam.y_h, 0.25)
    D = cam.f * CAM_HEIGHT / below
    return (x - cam.x_v) * D / cam.f, D


def _tiles(X, D, size, px_per_m, rng) -> np.ndarray:
    """Paving: dark grout lines every ``size`` m both ways, each tile slightly shaded; the grout
    fades out where a tile is under 4 raster px (it would only alias)."""
    shade = rng.uniform(-0.4, 0.4, (64, 64)).astype(np.float32)
    iu, iv = np.floor(X / size).astype(np.int64) % 64, np.floor(D / size).astype(np.int64) % 64
    fu, fv = X / size % 1.0, D / size % 1.0
    grout = (np.minimum(fu, 1 - fu) < 0.08) | (np.minimum(fv, 1 - fv) < 0.08)
    visible = np.clip(size * px_per_m / 4.0 - 0.5, 0.0, 1.0)
    return np.where(grout, -1.5 * visible, shade[iu, iv]).astype(np.float32)


def _pattern(name: str, canvas: Layers, cam: Camera, rng: np.random.Generator) -> np.ndarray:
    """One material pattern over the whole canvas, about unit amplitude."""
    shape = canvas.label.shape
    x, y = _frame0_coords(canvas)
    if name == 'flat':
        return np.zeros(shape, np.float32)
    if name == 'grain':  # fine isotropic grain
        return texture(shape, 1.0, rng)
    if name == 'blobs':  # coarse blotches
        return texture(shape, 6.0 * canvas.scale, rng)
    if name == 'leaves':  # strong pixel-scale speckle with dark holes
        leaf = texture(shape, 0.7, rng)
        return np.where(leaf < -0.6, -2.0, leaf).astype(np.float32)
    X, D = _ground(cam, x, y)
    px_per_m = canvas.scale * cam.f / D
    if name == 'tiles':
        return _tiles(X, D, 0.8, px_per_m, rng)
    if name == 'asphalt':  # dark repair patches and cracks on a fine grain
        patches = texture(shape, 5.0 * canvas.scale, rng) > 0.9
        cracks = np.abs(texture(shape, 2.0 * canvas.scale, rng)) < 0.05
        return (0.5 * texture(shape, 1.0, rng) - 1.2 * patches - 1.5 * cracks).astype(np.float32)
    if name == 'panels':  # facade floors: bands converging to the vanishing point
        rows = (y - cam.y_h) / np.maximum(np.abs(x - cam.x_v), 1.0)
        return np.tanh(3.0 * np.sin(2.0 * np.pi * rows / 0.22)).astype(np.float32)
    raise ValueError(f'synthetic v2: unknown material pattern {name!r}')


def _shadow(canvas: Layers, cam: Camera, street: Dict, look: Look) -> np.ndarray:
    """Multiplicative lighting (H, W) of the canvas: facade shadows on the ground and one shaded
    street side; all ones when the ``shadow`` factor is 0."""
    rng, strength = look.rng, look.style['shadow'] * look.rng.uniform(0.6, 1.0)
    side = 1 if rng.uniform() < 0.5 else -1  # the facades on this side cast the shadows
    face = street['faces'][0 if side < 0 else 1]
    road = street['road']
    # Shadow depth across the street per stretch of 5-15 m (0 = a sunlit gap between buildings).
    edges = np.cumsum(rng.uniform(5.0, 15.0, 40))
    reach = rng.uniform(-0.3, 1.0, 41).clip(0.0, None) * (road[1] - road[0])
    x, y = _frame0_coords(canvas)
    X, D = _ground(cam, x, y)
    covered = side * (face - X) < reach[np.searchsorted(edges, D)]
    ground = np.isin(canvas.label, GROUND) & (y > cam.y_h + 0.5) & covered
    light = np.ones(canvas.label.shape, np.float32)
    light[ground] = 1.0 - strength
    facade = (canvas.label == BUILDING) & (side * (x - cam.x_v) > 0)
    light[facade] = 1.0 - 0.6 * strength
    return light


def world_appearance(canvas: Layers, cam: Camera, look: Look, street: Dict) -> None:
    """Version 1's world texture, then the per-class materials and the lighting."""
    world_texture(canvas, cam, look, street)
    mix = look.style['material']
    gain = np.ones(canvas.label.shape, np.float32)
    for cls, ((src, a_src), (tgt, a_tgt)) in MATERIALS.items():
        mask = canvas.label == cls
        if not mask.any():
            continue
        # Both patterns are drawn whatever the mix, so the material factor never shifts the
        # random stream of the ones after it.
        p_src, p_tgt = _pattern(src, canvas, cam, look.rng), _pattern(tgt, canvas, cam, look.rng)
        blend = (1.0 - mix) * a_src * p_src + mix * a_tgt * p_tgt
        gain[mask] += blend[mask]
    gain *= _shadow(canvas, cam, street, look)
    canvas.colour *= np.clip(gain, 0.05, None)[..., None]
