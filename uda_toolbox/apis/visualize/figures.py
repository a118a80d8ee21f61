"""The visualiser's figures (panels in a row, a class key below) and how they are written."""
import math
import os.path as osp
from typing import Sequence, Tuple

import cv2
import numpy as np

from uda_toolbox.apis.visualize.inputs import VisualizeError
from uda_toolbox.evaluation import visualization as vis
from uda_toolbox.utils import atomic_write, write_png_atomic


def panel_size(shape: Tuple[int, int], min_width: int) -> Tuple[int, int]:
    return vis.display_size(*shape, min_width=min_width) if min_width else tuple(shape)


def labels_panel(image: np.ndarray, labels: np.ndarray, size: Tuple[int, int], alpha: float,
                 palette) -> np.ndarray:
    return vis.overlay_labels(vis.resize_image(image, size), vis.resize_labels(labels, size),
                              alpha, palette)


def check_same_size(image: np.ndarray, labels: np.ndarray, what: str, path: str) -> None:
    if image.shape[:2] != labels.shape[:2]:
        raise VisualizeError(f'{what} of {path!r} is {labels.shape[:2]} (H, W) but the frame is '
                             f'{image.shape[:2]}; labels must have the size of their frame.')


def with_legend(row: np.ndarray, class_ids, classes, palette) -> np.ndarray:
    """``row`` above a key of the classes ``class_ids``."""
    return vis.stack_rows([row, vis.class_legend(class_ids, row.shape[1], classes, palette)])


def prediction_figure(image: np.ndarray, gt: np.ndarray, pred: np.ndarray, min_width: int,
                      alpha: float, classes, palette) -> np.ndarray:
    """[frame | ground truth | prediction | errors] with titles and a key of the classes shown."""
    size = panel_size(image.shape[:2], min_width)
    acc = vis.pixel_accuracy(pred, gt)
    panels = [vis.resize_image(image, size), labels_panel(image, gt, size, alpha, palette),
              labels_panel(image, pred, size, alpha, palette),
              vis.resize_image(vis.error_map(pred, gt), size)]
    titles = ['frame', 'ground truth', 'prediction' + ('' if math.isnan(acc) else
                                                      f' (acc {100 * acc:.1f}%)'),
              'errors (white)']
    return with_legend(vis.side_by_side(panels, titles), np.union1d(np.unique(gt), np.unique(pred)),
                       classes, palette)


def write_rgb(path: str, image: np.ndarray) -> None:
    write_png_atomic(path, np.ascontiguousarray(image[..., ::-1]))


def gif_frames(frames: Sequence[np.ndarray], fixed_colors: Sequence[Sequence[int]]) -> list:
    """The frames as 8-bit palette images sharing one palette: ``fixed_colors`` exactly (the class
    colours, so the key and pure label pixels keep their palette values) plus the most frequent
    colours of all frames (median cut). A shared palette also stops colours flickering."""
    from PIL import Image

    fixed = [tuple(int(x) for x in c) for c in dict.fromkeys(tuple(c) for c in fixed_colors)]
    sample = np.concatenate([f.reshape(-1, 3)[::5] for f in frames])[None]
    free = Image.fromarray(sample).quantize(colors=256 - len(fixed), method=Image.Quantize.MEDIANCUT)
    colors = [x for c in fixed for x in c] + free.getpalette()[:3 * (256 - len(fixed))]
    palette = Image.new('P', (1, 1))
    palette.putpalette(colors + [0] * (768 - len(colors)))
    return [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]


def write_animation(path: str, frames: Sequence[np.ndarray], fps: float,
                    palette_colors: Sequence[Sequence[int]] = ()) -> None:
    """RGB frames as an animated GIF (looping) or an MP4 (OpenCV's mp4v), by ``path``'s extension.
    ``palette_colors`` are kept exact in a GIF (see :func:`gif_frames`)."""
    ext = osp.splitext(path)[1].lower()
    if ext == '.gif':
        images = gif_frames(frames, palette_colors)
        with atomic_write(path) as tmp:
            images[0].save(tmp, format='GIF', save_all=True, append_images=images[1:],
                           duration=int(round(1000 / fps)), loop=0, optimize=False)
    elif ext == '.mp4':
        h, w = frames[0].shape[:2]
        even = (h + h % 2, w + w % 2)  # most MP4 decoders need even sizes
        with atomic_write(path) as tmp:
            writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*'mp4v'), fps, (even[1], even[0]))
            if not writer.isOpened():
                raise VisualizeError(f'OpenCV cannot write MP4 ({path!r}): this build has no mp4v '
                                     'encoder; write a .gif instead.')
            for frame in frames:
                padded = np.full(even + (3,), 255, np.uint8)
                padded[:h, :w] = frame
                writer.write(np.ascontiguousarray(padded[..., ::-1]))
            writer.release()
    else:
        raise VisualizeError(f'--out {path!r}: the animation must end with .gif or .mp4.')
