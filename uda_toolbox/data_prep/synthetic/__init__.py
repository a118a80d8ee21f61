"""The embedded sim-to-real pair: two procedurally generated street-scene VIDEO domains.

A source domain that looks like a simple simulator (saturated flat palette, clean images, labels on
every frame) and a target domain that looks more like a real camera (desaturated palette, hue
rotation, lighting, vignette, gamma, fine texture, blur and sensor noise) with a different street
layout (higher horizon, wider road, narrower sidewalks, more, farther and smaller cars, more persons
and poles, fewer trees, taller narrower buildings). Labels on the target are written only at every
``annotation_interval``-th frame, like Cityscapes-VPS. Two knobs interpolate every factor linearly
from the source (0) to the full target (1): ``style_shift`` and ``layout_shift``. The generator
knows the exact optical flow of every frame. Design and formats: docs/data.md.

Modules, one job each: ``pair.py`` (parameters, splits, per-clip seeds), ``writer.py`` (files,
meta.json, directory life cycle, the version switch), and per generator version ``v1/params.py``
(scene parameters), ``v1/canvas.py`` and ``v1/objects.py`` (drawing surfaces, camera, objects),
``v1/scene.py`` (building a clip's scene) and ``v1/render.py`` (frames, labels, true flow).
Version 2 (``v2/``, not the default) reuses version 1's street builder and compositing and adds
per-frame camera effects, varied motion and a semantic gap (``v2/params.py``, ``v2/materials.py``,
``v2/scene.py``, ``v2/sensor.py``, ``v2/render.py``; docs/data.md, "Embedded pair v2").

The generator's own work uses only numpy, OpenCV and the standard library (no torch or mmseg
code). Nothing here is imported by a training run (``uda_toolbox.datasets`` never imports
``uda_toolbox.data_prep``).
"""
from uda_toolbox.data_prep.synthetic.pair import (
    SPLITS,
    RenderedClip,
    SyntheticPairParams,
    clip_name,
    clip_seed,
)
from uda_toolbox.data_prep.synthetic.v1 import GENERATOR_VERSION, RENDERED_CLASSES, render_clip, true_flow
from uda_toolbox.data_prep.synthetic.writer import (
    DEFAULT_VERSION,
    GENERATORS,
    ensure_synthetic_pair,
    generate_synthetic_pair,
    generator,
)

__all__ = [
    'DEFAULT_VERSION', 'GENERATORS', 'GENERATOR_VERSION', 'RENDERED_CLASSES', 'SPLITS',
    'RenderedClip', 'SyntheticPairParams', 'clip_name', 'clip_seed', 'ensure_synthetic_pair',
    'generate_synthetic_pair', 'generator', 'render_clip', 'true_flow',
]
