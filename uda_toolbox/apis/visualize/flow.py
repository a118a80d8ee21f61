"""``flow``: optical-flow files as Middlebury colour images, with a key of the directions."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np

from uda_toolbox.apis.visualize.figures import panel_size, write_rgb
from uda_toolbox.apis.visualize.inputs import VisualizeError
from uda_toolbox.evaluation import visualization as vis
from uda_toolbox.utils.flow_io import read_flow

FLOW_SUFFIXES = ('.npy', '.flo', '.png')


def collect_flow_files(inputs: Sequence[str]) -> List[Tuple[str, str]]:
    """``(file, output name without extension)`` of every flow file in ``inputs``."""
    found = []
    for item in inputs:
        if osp.isfile(item):
            found.append((item, osp.splitext(osp.basename(item))[0]))
        elif osp.isdir(item):
            base = osp.basename(osp.normpath(item))
            for root, _, files in sorted(os.walk(item)):
                for name in sorted(files):
                    if name.lower().endswith(FLOW_SUFFIXES) and not name.startswith('.'):
                        rel = osp.relpath(osp.join(root, name), item)
                        found.append((osp.join(root, name), osp.join(base, osp.splitext(rel)[0])))
        else:
            raise VisualizeError(f'flow input {item!r} does not exist (give flow files or directories).')
    if not found:
        raise VisualizeError(f'no flow file ({"/".join(FLOW_SUFFIXES)}) in {list(inputs)}.')
    return found


def draw_flow(inputs: Sequence[str], out: str, max_flow: Optional[float] = None,
              min_width: int = 256) -> List[str]:
    """``out/<name>.png`` per flow file of ``inputs`` (files or directories, searched
    recursively) and ``out/flow_legend.png``; ``max_flow`` px is drawn fully saturated (default:
    each file's largest vector)."""
    written = []
    files = collect_flow_files(inputs)
    for path, name in files:
        try:
            flow, valid = read_flow(path, return_valid=True)
        except ValueError as exc:
            raise VisualizeError(str(exc)) from None
        magnitude = np.hypot(flow[..., 0], flow[..., 1])
        color = vis.flow_to_color(flow, max_flow, valid)
        size = panel_size(flow.shape[:2], min_width)
        peak = float(magnitude[valid].max()) if valid.any() else 0.0
        figure = vis.add_title(vis.resize_image(color, size),
                               f'{osp.basename(name)}: max {peak:.2f} px')
        target = osp.join(out, name + '.png')
        write_rgb(target, figure)
        written.append(target)
    legend = osp.join(out, 'flow_legend.png')
    write_rgb(legend, vis.add_title(vis.flow_wheel_legend(192), 'direction key'))
    print(f'{len(files)} flow file(s) -> {out} (key: {legend})')
    return written + [legend]
