"""Pure rendering functions: label maps, overlays, error maps, optical flow, panels, per-class charts.

Every image here is an RGB ``uint8`` array (H, W, 3); callers reading frames with OpenCV convert
from BGR first. Nothing reads files, and only :func:`plot_per_class_bars` writes one (atomically),
so ``tools/visualize.py`` and the benchmark share one look.

Colour conventions (docs/visualization.md):

* classes use the 15-class Cityscapes palette (``uda_toolbox.utils.classes``);
* ignored pixels (label 255: void ground truth, pseudo labels below threshold) are **black**
  (:data:`IGNORE_COLOR`), a colour no class uses; in an overlay they darken the frame;
* an error map shows correct pixels grey, wrong pixels white, ignored pixels black;
* flow uses the Middlebury colour wheel (Baker et al., "A Database and Evaluation Methodology for
  Optical Flow", IJCV 2011): hue is the direction (right red, down yellow, left cyan, up
  blue-violet), saturation the magnitude (white = no motion), black = unknown flow.
"""
from __future__ import annotations

import math
import os
from typing import List, Mapping, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np

from uda_toolbox.utils.classes import IGNORE_INDEX, VIDEO_UDA_CLASSES, VIDEO_UDA_PALETTE
from uda_toolbox.utils.io import atomic_write

Color = Tuple[int, int, int]

IGNORE_COLOR: Color = (0, 0, 0)
ERROR_CORRECT_COLOR: Color = (128, 128, 128)
ERROR_WRONG_COLOR: Color = (255, 255, 255)
BACKGROUND: Color = (255, 255, 255)
TEXT_COLOR: Color = (0, 0, 0)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


# ----------------------------------------------------------------------------- checks
def _as_label_map(labels: np.ndarray, name: str = 'labels') -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim == 3 and labels.shape[0] == 1:  # (1, H, W) as mmseg's PixelData holds it
        labels = labels[0]
    if labels.ndim != 2 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f'{name} must be an integer (H, W) map of class ids, got dtype '
                         f'{labels.dtype} and shape {labels.shape}')
    return labels


def _as_rgb(image: np.ndarray, name: str = 'image') -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'{name} must be an RGB uint8 (H, W, 3) array, got dtype {image.dtype} '
                         f'and shape {image.shape}')
    return image


def _same_size(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if a.shape[:2] != b.shape[:2]:
        raise ValueError(f'{what}: sizes differ, {a.shape[:2]} vs {b.shape[:2]} (H, W); resize one '
                         'to the other first (labels with nearest neighbour)')


# ----------------------------------------------------------------------------- labels
def colorize_labels(labels: np.ndarray, palette: Sequence[Sequence[int]] = VIDEO_UDA_PALETTE,
                    ignore_index: int = IGNORE_INDEX, ignore_color: Color = IGNORE_COLOR) -> np.ndarray:
    """Paint a label map with the class palette.

    Args:
        labels: (H, W) (or (1, H, W)) integer class ids in ``[0, len(palette))`` or ``ignore_index``.
        palette: RGB colour of each class.
        ignore_index: Label of ignored pixels, painted ``ignore_color``.
        ignore_color: RGB colour of ignored pixels (black by default).
    Returns:
        (H, W, 3) uint8 RGB.
    Raises:
        ValueError: a value is neither a class id nor ``ignore_index`` (the message lists them).
    """
    labels = _as_label_map(labels)
    num_classes = len(palette)
    ignored = labels == ignore_index
    bad = (~ignored) & ((labels < 0) | (labels >= num_classes))
    if bad.any():
        raise ValueError(f'label values {np.unique(labels[bad])[:10].tolist()} are neither class ids '
                         f'in [0, {num_classes}) nor ignore_index={ignore_index}; is this a label '
                         'map of train ids (not a colour image or raw dataset ids)?')
    lut = np.asarray(palette, dtype=np.uint8).reshape(num_classes, 3)
    out = lut[np.where(ignored, 0, labels)]
    out[ignored] = ignore_color
    return out


def overlay(image: np.ndarray, colors: np.ndarray, alpha: float = 0.5,
            mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Blend ``colors`` over ``image``: ``(1 - alpha) * image + alpha * colors`` where ``mask``.

    Args:
        image, colors: (H, W, 3) uint8 RGB of one size.
        alpha: Weight of ``colors`` in [0, 1].
        mask: (H, W) bool, where to blend (default everywhere); elsewhere the image is kept.
    """
    image, colors = _as_rgb(image), _as_rgb(colors, 'colors')
    _same_size(image, colors, 'overlay')
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha must lie in [0, 1], got {alpha}')
    blend = np.rint((1.0 - alpha) * image + alpha * colors.astype(np.float64)).astype(np.uint8)
    if mask is None:
        return blend
    return np.where(np.asarray(mask, dtype=bool)[..., None], blend, image)


def overlay_labels(image: np.ndarray, labels: np.ndarray, alpha: float = 0.5,
                   palette: Sequence[Sequence[int]] = VIDEO_UDA_PALETTE,
                   ignore_index: int = IGNORE_INDEX, ignore_color: Color = IGNORE_COLOR) -> np.ndarray:
    """The palette colours of ``labels`` blended over ``image``; ignored pixels blend with
    ``ignore_color`` (black: the frame shows through, darkened), so they stay visible."""
    return overlay(image, colorize_labels(labels, palette, ignore_index, ignore_color), alpha)


def error_map(pred: np.ndarray, gt: np.ndarray, ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Where a prediction is right (grey), wrong (white) or not judged (black: ``gt`` ignored)."""
    pred, gt = _as_label_map(pred, 'pred'), _as_label_map(gt, 'gt')
    _same_size(pred, gt, 'error_map')
    out = np.empty(gt.shape + (3,), np.uint8)
    out[:] = ERROR_WRONG_COLOR
    out[pred == gt] = ERROR_CORRECT_COLOR
    out[gt == ignore_index] = IGNORE_COLOR
    return out


def pixel_accuracy(pred: np.ndarray, gt: np.ndarray, ignore_index: int = IGNORE_INDEX) -> float:
    """Share of the labelled pixels of ``gt`` that ``pred`` gets right (NaN if none is labelled)."""
    pred, gt = _as_label_map(pred, 'pred'), _as_label_map(gt, 'gt')
    _same_size(pred, gt, 'pixel_accuracy')
    labelled = gt != ignore_index
    return float((pred[labelled] == gt[labelled]).mean()) if labelled.any() else math.nan


# ----------------------------------------------------------------------------- flow
def color_wheel() -> np.ndarray:
    """The Middlebury colour wheel, (55, 3) float64 RGB in [0, 1], red first: mmcv's
    ``make_color_wheel`` (segments of 15/6/4/11/13/6 steps from red through yellow, green, cyan,
    blue and magenta back to red)."""
    return mmcv.make_color_wheel().astype(np.float64)


def flow_to_color(flow: np.ndarray, max_flow: Optional[float] = None,
                  valid: Optional[np.ndarray] = None) -> np.ndarray:
    """Colour-code optical flow with the Middlebury wheel.

    Without ``max_flow`` and ``valid`` this is ``mmcv.flow2rgb`` (as uint8; a test checks it).
    It is kept beside mmcv's because ``flow2rgb`` always normalises by the frame's own longest
    vector and knows no validity mask: the pictures of a clip need one fixed ``max_flow`` for all
    its frames (and for the legend), and KITTI / Middlebury files mark unknown pixels.

    Args:
        flow: (H, W, 2) displacement (dx, dy) in pixels; y points down (image rows).
        max_flow: Magnitude shown fully saturated; longer vectors are drawn darker. Default:
            the largest finite magnitude in ``flow`` (so a uniform flow is fully saturated).
        valid: (H, W) bool, where the flow is known; unknown and non-finite pixels are black.
    Returns:
        (H, W, 3) uint8 RGB; zero motion is white.
    """
    flow = np.asarray(flow, dtype=np.float64)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'flow must be (H, W, 2), got shape {flow.shape}')
    known = np.isfinite(flow).all(axis=2)
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        if valid.shape != flow.shape[:2]:
            raise ValueError(f'valid {valid.shape} must match the flow {flow.shape[:2]}')
        known &= valid
    u = np.where(known, flow[..., 0], 0.0)
    v = np.where(known, flow[..., 1], 0.0)
    radius = np.hypot(u, v)
    if max_flow is None:
        max_flow = float(radius.max()) if radius.size else 0.0
    if max_flow < 0:
        raise ValueError(f'max_flow must be >= 0, got {max_flow}')
    radius = radius / max(max_flow, 1e-12)

    wheel = color_wheel()
    n = len(wheel)
    # Direction -> position on the wheel: pointing right is 0 (red), and the position grows as
    # the vector turns through down (yellow), left (cyan) and up (blue-violet).
    position = (np.arctan2(-v, -u) / np.pi + 1.0) / 2.0 * (n - 1)
    lower = np.floor(position).astype(np.int64)
    frac = (position - lower)[..., None]
    upper = (lower + 1) % n
    color = (1.0 - frac) * wheel[lower] + frac * wheel[upper]

    # Saturation grows with the magnitude; beyond max_flow the colour is dimmed instead.
    r = radius[..., None]
    color = np.where(r <= 1.0, 1.0 - r * (1.0 - color), color * 0.75)
    color[~known] = 0.0
    return np.rint(color * 255.0).astype(np.uint8)


def flow_wheel_legend(size: int = 128) -> np.ndarray:
    """A (size, size, 3) key of :func:`flow_to_color`: each pixel coloured by its offset from
    the centre (radius size/2 = full saturation), so directions read off the picture."""
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    dx, dy = np.meshgrid(coords, coords)
    legend = flow_to_color(np.stack([dx, dy], axis=2), max_flow=size / 2.0)
    legend[np.hypot(dx, dy) > size / 2.0] = BACKGROUND
    return legend


# ----------------------------------------------------------------------------- layout
def resize_image(image: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resize an RGB image to (H, W): area averaging to shrink, nearest neighbour to enlarge
    (integer up-scaling keeps the pixels of a small frame visible as blocks)."""
    image = _as_rgb(image)
    h, w = size
    if (h, w) == image.shape[:2]:
        return image
    shrink = h < image.shape[0] or w < image.shape[1]
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_NEAREST)


def resize_labels(labels: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resize a label map to (H, W) with nearest neighbour (never invents a class)."""
    labels = _as_label_map(labels)
    h, w = size
    # Centre of each output pixel mapped back onto the input grid.
    rows = ((np.arange(h) + 0.5) * labels.shape[0] / h).astype(np.int64)
    cols = ((np.arange(w) + 0.5) * labels.shape[1] / w).astype(np.int64)
    return labels[rows[:, None], cols[None, :]]


def display_size(height: int, width: int, min_width: int = 256, max_width: int = 1024) -> Tuple[int, int]:
    """(H, W) to show a frame at: enlarged by an integer factor up to ``min_width`` (tiny
    synthetic frames), shrunk to ``max_width`` (Cityscapes), else unchanged."""
    if width < min_width:
        factor = math.ceil(min_width / width)
        return height * factor, width * factor
    if width > max_width:
        return max(1, round(height * max_width / width)), max_width
    return height, width


def _fit_text(text: str, width: int, max_scale: float) -> Tuple[str, float, int]:
    """The text, font scale and thickness to write ``text`` within ``width`` pixels."""
    scale = max_scale
    while scale > 0.35 and cv2.getTextSize(text, _FONT, scale, 1)[0][0] > width:
        scale -= 0.05
    while len(text) > 1 and cv2.getTextSize(text, _FONT, scale, 1)[0][0] > width:
        text = text[:-3] + '..' if len(text) > 3 else text[:-1]
    return text, scale, 1


def add_title(image: np.ndarray, title: str, height: Optional[int] = None) -> np.ndarray:
    """``image`` under a white strip holding ``title`` (shrunk or cut to fit the width)."""
    image = _as_rgb(image)
    height = height or title_height(image.shape[1])
    strip = np.empty((height, image.shape[1], 3), np.uint8)
    strip[:] = BACKGROUND
    text, scale, thickness = _fit_text(title, image.shape[1] - 4, height / 40.0)
    (tw, th), _ = cv2.getTextSize(text, _FONT, scale, thickness)
    origin = (max(2, (image.shape[1] - tw) // 2), (height + th) // 2)
    cv2.putText(strip, text, origin, _FONT, scale, TEXT_COLOR, thickness, cv2.LINE_AA)
    return np.concatenate([strip, image], axis=0)


def title_height(width: int) -> int:
    """Height of a title strip over a panel ``width`` pixels wide."""
    return int(np.clip(width // 12, 18, 32))


def _pad_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    out = np.empty((height, width, 3), np.uint8)
    out[:] = BACKGROUND
    out[:image.shape[0], :image.shape[1]] = image
    return out


def side_by_side(panels: Sequence[np.ndarray], titles: Optional[Sequence[str]] = None,
                 gap: int = 4) -> np.ndarray:
    """Panels in a row on a white background, each under its title; shorter panels are padded.

    Args:
        panels: RGB uint8 images (H_i, W_i, 3).
        titles: One title per panel, or None for no title strip.
        gap: White pixels between panels.
    Returns:
        (max H_i [+ title strip], sum W_i + gaps, 3) uint8 RGB.
    """
    if not panels:
        raise ValueError('side_by_side needs at least one panel')
    panels = [_as_rgb(p, f'panel {k}') for k, p in enumerate(panels)]
    if titles is not None:
        if len(titles) != len(panels):
            raise ValueError(f'{len(titles)} titles for {len(panels)} panels')
        strip = title_height(min(p.shape[1] for p in panels))
        panels = [add_title(p, t, strip) for p, t in zip(panels, titles)]
    height = max(p.shape[0] for p in panels)
    spacer = np.empty((height, gap, 3), np.uint8)
    spacer[:] = BACKGROUND
    row = []
    for k, panel in enumerate(panels):
        if k:
            row.append(spacer)
        row.append(_pad_to(panel, height, panel.shape[1]))
    return np.concatenate(row, axis=1)


def stack_rows(rows: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Images one above the other, left-aligned on white (narrower ones are padded)."""
    if not rows:
        raise ValueError('stack_rows needs at least one image')
    rows = [_as_rgb(r, f'row {k}') for k, r in enumerate(rows)]
    width = max(r.shape[1] for r in rows)
    out = []
    for k, row in enumerate(rows):
        if k:
            out.append(_pad_to(np.zeros((0, 0, 3), np.uint8), gap, width))
        out.append(_pad_to(row, row.shape[0], width))
    return np.concatenate(out, axis=0)


def class_legend(class_ids: Sequence[int], width: int,
                 classes: Sequence[str] = VIDEO_UDA_CLASSES,
                 palette: Sequence[Sequence[int]] = VIDEO_UDA_PALETTE,
                 show_ignore: Optional[bool] = None, row_height: int = 18) -> np.ndarray:
    """A key of class colours: a swatch and the name of each class in ``class_ids``, wrapped
    into rows ``width`` pixels wide; 'ignored' (black) is listed when ``show_ignore`` (default:
    when ``class_ids`` holds ``IGNORE_INDEX``)."""
    ids = sorted({int(c) for c in class_ids})
    entries = [(str(classes[c]), tuple(int(x) for x in palette[c])) for c in ids if c != IGNORE_INDEX]
    if show_ignore is None:
        show_ignore = IGNORE_INDEX in ids
    if show_ignore:
        entries.append(('ignored', IGNORE_COLOR))
    scale, swatch = row_height / 40.0, row_height - 6
    cells, line, used = [], [], 0
    for name, color in entries:
        cell_w = swatch + 6 + cv2.getTextSize(name, _FONT, scale, 1)[0][0] + 12
        if line and used + cell_w > width:
            cells.append(line)
            line, used = [], 0
        line.append((name, color, used))
        used += cell_w
    if line:
        cells.append(line)
    out = np.empty((max(1, len(cells)) * row_height, width, 3), np.uint8)
    out[:] = BACKGROUND
    for r, line in enumerate(cells):
        top = r * row_height + 3
        for name, color, x in line:
            cv2.rectangle(out, (x + 2, top), (x + 2 + swatch, top + swatch), color, -1)
            cv2.rectangle(out, (x + 2, top), (x + 2 + swatch, top + swatch), (90, 90, 90), 1)
            cv2.putText(out, name, (x + swatch + 8, top + swatch - 1), _FONT, scale, TEXT_COLOR, 1,
                        cv2.LINE_AA)
    return out


# ----------------------------------------------------------------------------- figures
def prediction_figure(image: np.ndarray, pred: np.ndarray, gt: Optional[np.ndarray] = None,
                      classes: Sequence[str] = VIDEO_UDA_CLASSES,
                      palette: Sequence[Sequence[int]] = VIDEO_UDA_PALETTE, alpha: float = 0.6,
                      min_width: int = 256) -> np.ndarray:
    """One frame's prediction as a picture: **frame | ground truth | prediction (pixel accuracy)
    | errors** with titles and a key of the classes shown (without ``gt``: frame | prediction).

    The figure of ``tools/visualize.py predict`` and ``tools/test.py --show-dir``. Small frames
    are enlarged (``min_width``, nearest neighbour) so a person can read them; 0 keeps the size.

    Args:
        image: (H, W, 3) uint8 RGB frame.
        pred: (H, W) class ids.
        gt: (H, W) class ids with ``IGNORE_INDEX``, or None.
    """
    image = _as_rgb(image)
    pred = _as_label_map(pred, 'pred')
    _same_size(image, pred, 'prediction_figure (frame vs prediction)')
    size = display_size(*image.shape[:2], min_width=min_width) if min_width else image.shape[:2]
    frame = resize_image(image, size)

    def painted(labels: np.ndarray) -> np.ndarray:
        return overlay_labels(frame, resize_labels(labels, size), alpha, palette)

    if gt is None:
        panels, titles, present = [frame, painted(pred)], ['frame', 'prediction'], np.unique(pred)
    else:
        gt = _as_label_map(gt, 'gt')
        _same_size(image, gt, 'prediction_figure (frame vs ground truth)')
        acc = pixel_accuracy(pred, gt)
        panels = [frame, painted(gt), painted(pred), resize_image(error_map(pred, gt), size)]
        titles = ['frame', 'ground truth',
                  'prediction' + ('' if math.isnan(acc) else f' (acc {100 * acc:.1f}%)'),
                  'errors (white)']
        present = np.union1d(np.unique(gt), np.unique(pred))
    row = side_by_side(panels, titles)
    return stack_rows([row, class_legend(present, row.shape[1], classes, palette)])


# ----------------------------------------------------------------------------- charts
def plot_per_class_bars(rows: Mapping[str, Mapping[str, float]], classes: Sequence[str],
                        out_png: Union[str, os.PathLike], title: str = '',
                        ylabel: str = 'IoU (%)',
                        errors: Optional[Mapping[str, Mapping[str, float]]] = None) -> str:
    """Grouped bar chart of per-class values (one bar colour per row), written as a PNG.

    Args:
        rows: ``{method: {class: value}}`` in legend order; missing and NaN values leave a gap.
        classes: Class names in x-axis order.
        out_png: The file to write (atomically; parent directories are made).
        title: Title above the chart.
        ylabel: Y-axis label.
        errors: Optional ``{method: {class: std}}`` drawn as error bars (several seeds).
    Returns:
        ``out_png`` as a string.
    """
    # The object API with an explicit Agg canvas: no pyplot global state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not rows:
        raise ValueError('plot_per_class_bars: rows is empty; give at least one method')
    if not classes:
        raise ValueError('plot_per_class_bars: classes is empty')
    classes = [str(c) for c in classes]
    num_rows = len(rows)
    width = 0.8 / num_rows
    fig = Figure(figsize=(max(6.0, 0.35 * len(classes) * (num_rows + 1) + 1.5), 4.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(classes), dtype=np.float64)
    colors = method_colors(num_rows)
    for k, (name, values) in enumerate(rows.items()):
        heights = np.array([_finite(values.get(c)) for c in classes])
        yerr = None
        if errors is not None and name in errors:
            yerr = np.nan_to_num(np.array([_finite(errors[name].get(c)) for c in classes]))
        defined = heights[~np.isnan(heights)]
        label = f'{name} (mean {defined.mean():.1f})' if defined.size else f'{name} (no values)'
        offsets = x + (k - (num_rows - 1) / 2) * width
        ax.bar(offsets, np.nan_to_num(heights), width, yerr=yerr,
               capsize=2 if yerr is not None else 0, label=label, color=colors[k])
        for position in offsets[np.isnan(heights)]:  # say "no value" rather than show a 0 bar
            ax.text(position, 1.0, 'n/a', rotation=90, ha='center', va='bottom', fontsize=6,
                    color=colors[k])
    ax.set_xticks(x)
    ax.set_xticklabels(classes, rotation=40, ha='right')
    ax.set_ylabel(ylabel)
    ax.set_xlim(-0.6, len(classes) - 0.4)
    ax.set_ylim(0, 100 if ylabel.endswith('(%)') else None)
    ax.grid(axis='y', alpha=0.3)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title)
    ax.legend(loc='upper left', bbox_to_anchor=(1.0, 1.0), fontsize='small', frameon=False)
    fig.tight_layout()
    with atomic_write(out_png) as tmp:
        fig.savefig(tmp, format='png')
    return str(out_png)


def method_colors(count: int) -> List[Tuple[float, float, float]]:
    """``count`` distinct colours: matplotlib's tab10 up to 10, tab20 up to 20, then evenly
    spaced hues (a colour never repeats, unlike the C0..C9 cycle)."""
    from matplotlib import colormaps
    if count <= 10:
        return [colormaps['tab10'](k)[:3] for k in range(count)]
    if count <= 20:
        return [colormaps['tab20'](k)[:3] for k in range(count)]
    return [colormaps['hsv'](k / count)[:3] for k in range(count)]


def plot_per_class_heatmap(rows: Mapping[str, Mapping[str, float]], classes: Sequence[str],
                           out_png: Union[str, os.PathLike], title: str = '',
                           value_label: str = 'IoU (%)',
                           errors: Optional[Mapping[str, Mapping[str, float]]] = None) -> str:
    """A method x class table of per-class values as a heatmap, each cell with its value, written
    as a PNG. One row per method (in ``rows`` order) labelled by name, one column per class and a
    last ``mean`` column (over the classes with a value); missing and NaN values are grey ``n/a``
    cells. Readable with many methods (no colour has to be matched to a legend).

    Args:
        rows: ``{method: {class: value}}`` in top-to-bottom order.
        classes: Column order.
        out_png: The file to write (atomically; parent directories are made).
        title: Title above the table.
        value_label: What the values are (colour bar label; ``(%)`` fixes the scale to 0-100).
        errors: Optional ``{method: {class: std}}`` written under each value (several seeds).
    Returns:
        ``out_png`` as a string.
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not rows:
        raise ValueError('plot_per_class_heatmap: rows is empty; give at least one method')
    if not classes:
        raise ValueError('plot_per_class_heatmap: classes is empty')
    columns = [str(c) for c in classes] + ['mean']
    values = np.array([[_finite(v.get(c)) for c in classes] for v in rows.values()])
    with np.errstate(all='ignore'):
        means = np.array([np.nanmean(r) if np.isfinite(r).any() else math.nan for r in values])
    table = np.concatenate([values, means[:, None]], axis=1)
    stds = None
    if errors:
        stds = np.array([[_finite((errors.get(m) or {}).get(c)) for c in classes] + [math.nan]
                         for m in rows])
    names = [str(m) for m in rows]
    cell_w, cell_h = 0.62, 0.42 if stds is None else 0.55
    label_w = 0.09 * max(len(n) for n in names) + 0.4
    fig = Figure(figsize=(label_w + cell_w * len(columns) + 1.3,
                          1.6 + cell_h * len(names)), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    scaled = value_label.endswith('(%)')
    cmap = colormaps['viridis'].copy()
    cmap.set_bad((0.85, 0.85, 0.85))
    image = ax.imshow(np.ma.masked_invalid(table), cmap=cmap, aspect='auto',
                      vmin=0 if scaled else None, vmax=100 if scaled else None)
    low, high = image.get_clim()
    for (i, j), value in np.ndenumerate(table):
        if math.isnan(value):
            text, color = 'n/a', 'black'
        else:
            text = f'{value:.1f}'
            if stds is not None and not math.isnan(stds[i, j]):
                text += f'\n\u00b1{stds[i, j]:.1f}'
            # Dark text on the light (yellow) end of viridis, white on the dark end.
            color = 'black' if (value - low) / max(high - low, 1e-9) > 0.6 else 'white'
        ax.text(j, i, text, ha='center', va='center', fontsize=7, color=color,
                fontweight='bold' if j == len(columns) - 1 else 'normal')
    ax.axvline(len(columns) - 1.5, color='white', linewidth=3)  # the mean column apart
    ax.set_xticks(range(len(columns)))
    ax.set_xticklabels(columns, rotation=40, ha='right', fontsize=8)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(value_label, fontsize=8)
    bar.ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    with atomic_write(out_png) as tmp:
        fig.savefig(tmp, format='png')
    return str(out_png)


def _finite(value: object) -> float:
    """``value`` as float, NaN for None/NaN/non-numbers."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan
