"""Generator version 2 of the embedded pair (``meta.json``: ``uda_toolbox.synthetic/2``): version
1's street with a target domain that has real video's temporal difficulties (exposure and
white-balance drift with flicker, speed-dependent motion blur, per-frame noise and compression,
varied ego-motion, lane-changing cars, thin poles at the resolution limit) and a semantic gap
beyond colour statistics (per-class materials, object proportions, layout, shadows). Design and
measured properties: docs/data.md, "Embedded pair v2".

The four names the writer needs are those of version 1 (``v1/__init__.py``).
"""
from uda_toolbox.data_prep.synthetic.pair import SyntheticPairParams
from uda_toolbox.data_prep.synthetic.v1.render import true_flow
from uda_toolbox.data_prep.synthetic.v2.params import (
    LAYOUT_FACTORS,
    MATERIALS,
    RENDERED_CLASSES,
    STYLE_FACTORS,
    resolve_factors,
)
from uda_toolbox.data_prep.synthetic.v2.render import render_clip
from uda_toolbox.utils.classes import VIDEO_UDA_CLASSES

GENERATOR_VERSION = 'uda_toolbox.synthetic/2'


def meta_factors(params: SyntheticPairParams) -> dict:
    """Style and layout factors of each domain at the pair's shifts (the source is at 0), and the
    per-class materials of both ends."""
    return dict(
        source=dict(
            style=resolve_factors(STYLE_FACTORS, 0.0),
            layout=resolve_factors(LAYOUT_FACTORS, 0.0),
        ),
        target=dict(
            style=resolve_factors(STYLE_FACTORS, params.style_shift),
            layout=resolve_factors(LAYOUT_FACTORS, params.layout_shift),
        ),
        materials={
            VIDEO_UDA_CLASSES[c]: dict(source=list(src), target=list(tgt))
            for c, (src, tgt) in MATERIALS.items()
        },
    )


__all__ = ['GENERATOR_VERSION', 'RENDERED_CLASSES', 'meta_factors', 'render_clip', 'true_flow']
