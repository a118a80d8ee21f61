"""``labels``: a pseudo-label round, over its frames when they can be found."""
import glob
import json
import os
import os.path as osp
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from uda_toolbox.apis.visualize.figures import (
    check_same_size,
    labels_panel,
    panel_size,
    with_legend,
    write_rgb,
)
from uda_toolbox.apis.visualize.inputs import (
    VisualizeError,
    build_clip_dataset,
    frame_stem,
    load_label_png,
    read_config,
    read_rgb,
    require_dir,
    select_clips,
)
from uda_toolbox.evaluation import visualization as vis
from uda_toolbox.utils.classes import IGNORE_INDEX, VIDEO_UDA_CLASSES, VIDEO_UDA_PALETTE
from uda_toolbox.utils.rounds import CURRENT_FILE, read_current, round_index

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg')
FrameFinder = Callable[[str, str], Optional[str]]  # (clip, frame stem) -> frame path or None


def resolve_round_dir(path: str) -> str:
    """A round directory, or the round CURRENT names when ``path`` is a pseudo-label directory."""
    require_dir(path, 'pseudo-label round', 'Pass <work_dir>/pseudo_labels/round_<r> (or the '
                'pseudo_labels directory to show its CURRENT round).')
    if round_index(osp.basename(osp.normpath(path))) is None and osp.isfile(osp.join(path, CURRENT_FILE)):
        name = read_current(path)
        if name is None:
            raise VisualizeError(f'{osp.join(path, CURRENT_FILE)} is empty: no round is published.')
        return osp.join(path, name)
    return path


def frame_finder(round_dir: str, img_dir: Optional[str], config: Optional[str]
                 ) -> Tuple[FrameFinder, str]:
    """``(clip, stem) -> frame path or None`` and where the frames come from.

    Frames are looked up in ``img_dir`` (``<clip>/<stem>.<ext>``), else in the target training
    set of ``config``, else of the config dumped in the run's work dir (the round's
    grand-parent), else not at all (labels are drawn alone).
    """
    if img_dir:
        require_dir(img_dir, '--img-dir', 'It must hold <clip>/<frame stem>.png (or .jpg).')

        def from_dir(clip_id: str, stem: str) -> Optional[str]:
            for suffix in IMAGE_SUFFIXES:
                path = osp.join(img_dir, clip_id, stem + suffix)
                if osp.isfile(path):
                    return path
            return None
        return from_dir, img_dir
    candidates = [config] if config else sorted(
        glob.glob(osp.join(osp.dirname(osp.dirname(osp.abspath(round_dir))), '*.py')))
    for candidate in candidates:
        try:
            cfg = read_config(candidate)
            target = cfg.train_dataloader.dataset.get('target')
            dataset = build_clip_dataset(Config(dict(loader=dict(dataset=target))), 'loader')
        except (VisualizeError, AttributeError, KeyError, TypeError, ValueError) as exc:
            if config:
                raise VisualizeError(f'--config {config!r}: no target training frames ({exc}).') from None
            continue
        paths = {(c, frame_stem(r)): r['img_path'] for c in dataset.clip_ids()
                 for r in dataset.clip_frames(c)}
        return (lambda clip_id, stem, paths=paths: paths.get((clip_id, stem))), \
            f'the target set of {candidate}'
    return (lambda clip_id, stem: None), 'nowhere (pass --img-dir or --config to draw over the frames)'


def draw_pseudo_labels(round_dir: str, out: str, clips: Optional[Sequence[str]] = None,
                       img_dir: Optional[str] = None, config: Optional[str] = None,
                       every: int = 1, min_width: int = 256, alpha: float = 0.6) -> List[str]:
    """``out/<clip>/<frame>.png`` for every ``every``-th label PNG of ``clips`` of a round
    (``round_dir``, or a pseudo-label directory: its CURRENT round), ignored pixels in black."""
    round_dir = resolve_round_dir(round_dir)
    clip_dirs = sorted(e.name for e in os.scandir(round_dir)
                       if e.is_dir() and not e.name.startswith('.'))
    if not clip_dirs:
        raise VisualizeError(f'{round_dir!r} holds no <clip>/ directories of label PNGs; is it a '
                             'pseudo-label round (<work_dir>/pseudo_labels/round_<r>)?')
    find_frame, source = frame_finder(round_dir, img_dir, config)
    print(f'round {round_dir}: frames from {source}')
    palette, classes = VIDEO_UDA_PALETTE, VIDEO_UDA_CLASSES
    written = []
    for clip_id in select_clips(clip_dirs, clips):
        names = sorted(n for n in os.listdir(osp.join(round_dir, clip_id))
                       if n.endswith('.png') and not n.startswith('.'))
        ignored = total = 0
        for name in names[::every]:
            stem = name[:-4]
            label = load_label_png(osp.join(round_dir, clip_id, name), len(classes), '')
            size = panel_size(label.shape, min_width)
            share = float((label == IGNORE_INDEX).mean())
            ignored, total = ignored + int((label == IGNORE_INDEX).sum()), total + label.size
            panels = [vis.colorize_labels(vis.resize_labels(label, size), palette)]
            titles = [f'labels ({100 * share:.0f}% ignored)']
            frame_path = find_frame(clip_id, stem)
            if frame_path is not None:
                image = read_rgb(frame_path)
                check_same_size(image, label, 'pseudo label', osp.join(round_dir, clip_id, name))
                panels = [vis.resize_image(image, size),
                          labels_panel(image, label, size, alpha, palette)] + panels
                titles = [f'frame {stem}', 'labels over frame'] + titles
            figure = with_legend(vis.side_by_side(panels, titles), np.unique(label), classes,
                                 palette)
            path = osp.join(out, clip_id, name)
            write_rgb(path, figure)
            written.append(path)
        if total:
            print(f'clip {clip_id}: {len(names[::every])} frames, {100 * ignored / total:.1f}% '
                  f'of pixels ignored -> {osp.join(out, clip_id)}')
    stats = osp.join(round_dir, 'stats.json')
    if osp.isfile(stats):
        with open(stats) as f:
            summary = json.load(f)
        shown = {k: summary[k] for k in ('proportion', 'p_miou', 'num_frames') if k in summary}
        if shown:
            print(f'round statistics ({stats}): {shown}')
    return written
