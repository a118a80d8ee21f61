"""Drawing surfaces of generator version 1: label/colour/depth rasters painted in fixed point over
frame-0 coordinates, world-attached noise textures, and the pinhole camera that projects the street
onto frame 0.

Geometry: a pinhole camera (height ``CAM_HEIGHT``) looks down a straight street whose ground lines
meet at the vanishing point (x_v, y_h); a world point (lateral X, height Y, distance D) in metres
projects to frame-0 pixel (x_v + f X / D, y_h + f (CAM_HEIGHT - Y) / D).
"""

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from uda_toolbox.data_prep.synthetic.v1.params import CAM_HEIGHT, FAR, MIN_POLE_PX


class Layers:
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
        self.depth = np.full((h, w), FAR, np.float32) if depth else None

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


def texture(shape: Tuple[int, int], cell: float, rng: np.random.Generator) -> np.ndarray:
    """Multi-scale texture (h, w), about unit std: octaves at 1, 2.5 and 6 cells (raster px)."""
    tex = (
        0.6 * _value_noise(shape, cell, rng)
        + 0.6 * _value_noise(shape, 2.5 * cell, rng)
        + 0.5 * _value_noise(shape, 6.0 * cell, rng)
    )
    return tex / 0.97




@dataclass
class Camera:
    height: int
    width: int
    x_v: float  # vanishing point column (frame-0 px)
    y_h: float  # horizon row
    f: float  # focal length, px

    @property
    def d_min(self) -> float:
        """Distance (m) of the ground point on the bottom row of frame 0."""
        return self.f * CAM_HEIGHT / (self.height - self.y_h)

    def project(self, X, Y, D):
        """World (lateral X, height Y, distance D) in metres -> frame-0 (x, y) px."""
        X, Y, D = np.broadcast_arrays(*(np.asarray(a, np.float64) for a in (X, Y, D)))
        return np.stack([self.x_v + self.f * X / D, self.y_h + self.f * (CAM_HEIGHT - Y) / D], -1)

    def min_width(self, D: float, metres: float, min_px: float = MIN_POLE_PX) -> float:
        """A width in metres that projects to at least ``min_px`` px at distance D."""
        return max(metres, min_px * D / self.f)
