"""Generator version 1 of the embedded pair (``meta.json``: ``uda_toolbox.synthetic/1``).

What the writer needs of a version: ``GENERATOR_VERSION`` (recorded in ``meta.json``; change it
whenever the bytes written for the same parameters change), ``RENDERED_CLASSES``,
``render_clip(seed, *, height, width, length, style_shift, layout_shift) -> RenderedClip`` and
``meta_factors(params)`` (the interpolated factors recorded in ``meta.json``).
"""
from uda_toolbox.data_prep.synthetic.pair import SyntheticPairParams
from uda_toolbox.data_prep.synthetic.v1.params import (
    LAYOUT_FACTORS,
    RENDERED_CLASSES,
    STYLE_FACTORS,
    resolve_factors,
)
from uda_toolbox.data_prep.synthetic.v1.render import render_clip, true_flow

GENERATOR_VERSION = 'uda_toolbox.synthetic/1'


def meta_factors(params: SyntheticPairParams) -> dict:
    """Style and layout factors of each domain at the pair's shifts (the source is at 0)."""
    return dict(
        source=dict(
            style=resolve_factors(STYLE_FACTORS, 0.0),
            layout=resolve_factors(LAYOUT_FACTORS, 0.0),
        ),
        target=dict(
            style=resolve_factors(STYLE_FACTORS, params.style_shift),
            layout=resolve_factors(LAYOUT_FACTORS, params.layout_shift),
        ),
    )


__all__ = ['GENERATOR_VERSION', 'RENDERED_CLASSES', 'meta_factors', 'render_clip', 'true_flow']
