"""Rendering functions: palette colours, ignore colour, overlays, flow colours, layout, charts."""
import colorsys
import math

import cv2
import mmcv
import numpy as np
import pytest

from uda_toolbox.evaluation import visualization as vis
from uda_toolbox.utils.classes import IGNORE_INDEX, VIDEO_UDA_PALETTE

PALETTE = np.array(VIDEO_UDA_PALETTE, dtype=np.uint8)


def _hue(rgb) -> float:
    """Hue in degrees of an RGB uint8 colour."""
    return colorsys.rgb_to_hsv(*(np.asarray(rgb, dtype=float) / 255.0))[0] * 360.0


def _black(image) -> int:
    return int((image == 0).all(axis=2).sum())


def test_colorize_labels_uses_the_palette_and_black_for_ignored():
    labels = np.array([[0, 1, 2], [11, 255, 14]], dtype=np.int64)
    rgb = vis.colorize_labels(labels)
    assert rgb.shape == (2, 3, 3) and rgb.dtype == np.uint8
    assert rgb[0, 0].tolist() == [128, 64, 128]  # road
    assert rgb[0, 1].tolist() == [244, 35, 232]  # sidewalk
    assert rgb[1, 0].tolist() == [0, 0, 142]  # car
    assert rgb[1, 2].tolist() == [0, 0, 230]  # motorbike
    assert rgb[1, 1].tolist() == [0, 0, 0]  # ignored
    # No class of the palette is black, so ignored pixels cannot be mistaken for a class.
    assert not (PALETTE == 0).all(axis=1).any()


def test_colorize_labels_every_class_and_custom_ignore_colour():
    labels = np.arange(15, dtype=np.uint8).reshape(3, 5)
    assert (vis.colorize_labels(labels).reshape(-1, 3) == PALETTE).all()
    grey = vis.colorize_labels(np.full((2, 2), 255, np.uint8), ignore_color=(90, 90, 90))
    assert (grey == 90).all()
    # A (1, H, W) map (mmseg PixelData layout) is accepted.
    assert vis.colorize_labels(labels[None]).shape == (3, 5, 3)


@pytest.mark.parametrize('bad', [15, 200, -1])
def test_colorize_labels_rejects_values_outside_the_classes(bad):
    labels = np.array([[0, bad]], dtype=np.int64)
    with pytest.raises(ValueError, match=str(bad)):
        vis.colorize_labels(labels)


def test_colorize_labels_rejects_colour_images():
    with pytest.raises(ValueError, match='integer'):
        vis.colorize_labels(np.zeros((4, 4, 3), np.uint8))


def test_overlay_labels_blends_palette_and_darkens_ignored_pixels():
    image = np.full((1, 3, 3), 200, np.uint8)
    labels = np.array([[0, 11, IGNORE_INDEX]])
    out = vis.overlay_labels(image, labels, alpha=0.25)
    expected_road = np.rint(0.75 * 200 + 0.25 * np.array([128, 64, 128]))
    assert out[0, 0].tolist() == expected_road.tolist()
    assert out[0, 1].tolist() == np.rint(0.75 * 200 + 0.25 * np.array([0, 0, 142])).tolist()
    assert out[0, 2].tolist() == [150, 150, 150]  # blended with black
    assert (vis.overlay_labels(image, labels, alpha=1.0) == vis.colorize_labels(labels)).all()
    assert (vis.overlay_labels(image, labels, alpha=0.0) == image).all()


def test_overlay_mask_and_size_checks():
    image = np.zeros((2, 2, 3), np.uint8)
    colors = np.full((2, 2, 3), 100, np.uint8)
    mask = np.array([[True, False], [False, True]])
    out = vis.overlay(image, colors, alpha=1.0, mask=mask)
    assert out[0, 0].tolist() == [100] * 3 and out[0, 1].tolist() == [0] * 3
    with pytest.raises(ValueError, match='sizes differ'):
        vis.overlay(image, np.zeros((3, 2, 3), np.uint8))
    with pytest.raises(ValueError, match='alpha'):
        vis.overlay(image, colors, alpha=1.5)


def test_error_map_and_pixel_accuracy():
    gt = np.array([[0, 1, 255, 2]])
    pred = np.array([[0, 2, 5, 2]])
    out = vis.error_map(pred, gt)
    assert out[0, 0].tolist() == list(vis.ERROR_CORRECT_COLOR)
    assert out[0, 1].tolist() == list(vis.ERROR_WRONG_COLOR)
    assert out[0, 2].tolist() == list(vis.IGNORE_COLOR)
    assert vis.pixel_accuracy(pred, gt) == pytest.approx(2 / 3)
    assert math.isnan(vis.pixel_accuracy(pred, np.full_like(gt, 255)))


def test_color_wheel_segments():
    wheel = vis.color_wheel()
    assert wheel.shape == (55, 3)
    # Segment starts: red, yellow, green, cyan, blue, magenta (Middlebury 15/6/4/11/13/6 steps).
    for index, rgb in [(0, (1, 0, 0)), (15, (1, 1, 0)), (21, (0, 1, 0)), (25, (0, 1, 1)),
                       (36, (0, 0, 1)), (49, (1, 0, 1))]:
        assert wheel[index].tolist() == list(rgb)


def test_flow_colours_are_mmcv_flow2rgb_without_max_flow_or_mask():
    rng = np.random.default_rng(0)
    flow = rng.normal(0.0, 3.0, (6, 7, 2)).astype(np.float32)
    flow[0, 0] = np.nan  # unknown in both
    expected = np.rint(mmcv.flow2rgb(flow.copy()) * 255.0).astype(np.uint8)
    assert np.abs(vis.flow_to_color(flow).astype(int) - expected).max() <= 1
    # A fixed max_flow (one scale for every frame of a clip) is what mmcv's does not offer.
    assert not np.array_equal(vis.flow_to_color(flow, max_flow=100.0), vis.flow_to_color(flow))


@pytest.mark.parametrize('direction, hue', [((1.0, 0.0), 0.0), ((0.0, 1.0), 54.1),
                                            ((-1.0, 0.0), 190.8), ((0.0, -1.0), 260.7)])
def test_uniform_flow_has_the_hue_of_its_direction(direction, hue):
    flow = np.broadcast_to(np.array(direction, np.float32) * 3.0, (4, 5, 2))
    rgb = vis.flow_to_color(flow)
    assert rgb.shape == (4, 5, 3)
    assert (rgb == rgb[0, 0]).all()  # uniform flow -> one colour
    assert _hue(rgb[0, 0]) == pytest.approx(hue, abs=1.0)
    assert max(rgb[0, 0]) == 255 and min(rgb[0, 0]) == 0  # fully saturated at max_flow


def test_flow_magnitude_saturation_zero_and_unknown():
    flow = np.zeros((1, 4, 2), np.float32)
    flow[0, 1] = (1.0, 0.0)  # half of max_flow: half saturated red
    flow[0, 2] = (4.0, 0.0)  # beyond max_flow: dimmed red
    flow[0, 3] = (np.nan, 0.0)
    rgb = vis.flow_to_color(flow, max_flow=2.0)
    assert rgb[0, 0].tolist() == [255, 255, 255]  # no motion
    assert rgb[0, 1].tolist() == [255, 128, 128]
    assert rgb[0, 2].tolist() == [191, 0, 0]
    assert rgb[0, 3].tolist() == [0, 0, 0]  # unknown
    valid = np.array([[True, False, True, True]])
    assert vis.flow_to_color(flow, 2.0, valid)[0, 1].tolist() == [0, 0, 0]


def test_flow_wheel_legend_centre_white_right_red():
    legend = vis.flow_wheel_legend(65)
    assert legend.shape == (65, 65, 3)
    assert legend[32, 32].tolist() == [255, 255, 255]
    assert _hue(legend[32, 63]) == pytest.approx(0.0, abs=1.0)
    assert legend[32, 63][0] == 255 and legend[32, 63][1] < 20  # saturated red at the rim


def test_resize_labels_nearest_never_invents_classes():
    labels = np.array([[0, 3], [255, 7]], dtype=np.uint8)
    big = vis.resize_labels(labels, (4, 6))
    assert big.shape == (4, 6)
    assert set(np.unique(big)) == {0, 3, 7, 255}
    assert (big[:2, :3] == 0).all() and (big[2:, 3:] == 7).all()
    small = vis.resize_labels(np.repeat(np.repeat(labels, 3, 0), 3, 1), (2, 2))
    assert (small == labels).all()


def test_display_size():
    assert vis.display_size(32, 64) == (128, 256)  # enlarged by an integer factor
    assert vis.display_size(64, 128) == (128, 256)
    assert vis.display_size(300, 400) == (300, 400)
    assert vis.display_size(1024, 2048) == (512, 1024)


def test_side_by_side_layout_keeps_panels():
    a = np.full((10, 20, 3), 10, np.uint8)
    b = np.full((6, 30, 3), 20, np.uint8)
    row = vis.side_by_side([a, b], gap=4)
    assert row.shape == (10, 54, 3)
    assert (row[:, :20] == 10).all() and (row[:6, 24:] == 20).all()
    assert (row[6:, 24:] == 255).all() and (row[:, 20:24] == 255).all()  # padding and gap
    titled = vis.side_by_side([a, b], ['a', 'a long title that does not fit'])
    strip = vis.title_height(20)
    assert titled.shape == (10 + strip, 54, 3)
    assert (titled[strip:, :20] == 10).all()
    assert (titled[:strip, :20] < 255).any()  # some text was drawn
    with pytest.raises(ValueError, match='titles'):
        vis.side_by_side([a, b], ['only one'])


def test_stack_rows_pads_to_the_widest():
    out = vis.stack_rows([np.zeros((2, 3, 3), np.uint8), np.zeros((4, 5, 3), np.uint8)], gap=1)
    assert out.shape == (7, 5, 3)
    assert (out[:2, 3:] == 255).all() and (out[2] == 255).all()


def test_class_legend_shows_palette_colours_and_ignored_only_when_present():
    legend = vis.class_legend([11, 0], width=300)
    colors = {tuple(c) for c in legend.reshape(-1, 3).tolist()}
    assert (128, 64, 128) in colors and (0, 0, 142) in colors
    assert (244, 35, 232) not in colors  # sidewalk was not asked for
    # 'ignored' adds a solid black swatch (11 x 11 inside its border) and its name.
    assert _black(vis.class_legend([0, 255], width=300)) > _black(vis.class_legend([0], width=300)) + 121
    narrow = vis.class_legend(range(15), width=200)
    assert narrow.shape[1] == 200 and narrow.shape[0] > 18 * 3  # wrapped into several rows


def test_plot_per_class_bars_writes_a_png(tmp_path):
    out = tmp_path / 'sub' / 'chart.png'
    rows = {'Source-only': {'road': 60.0, 'car': float('nan')}, 'VAT': {'road': 70.0, 'car': 30.0}}
    errors = {'VAT': {'road': 2.0, 'car': 1.0}}
    path = vis.plot_per_class_bars(rows, ['road', 'sidewalk', 'car'], out, 'Per-class IoU',
                                   errors=errors)
    assert path == str(out)
    image = cv2.imread(str(out))
    assert image is not None and image.shape[0] >= 300 and image.shape[1] >= 500
    assert sorted(p.name for p in out.parent.iterdir()) == ['chart.png']  # no temporary left
    # Both bar colours (matplotlib C0 blue, C1 orange, BGR here) are drawn.
    pixels = {tuple(p) for p in image.reshape(-1, 3).tolist()}
    assert (180, 119, 31) in pixels and (14, 127, 255) in pixels
    with pytest.raises(ValueError, match='rows'):
        vis.plot_per_class_bars({}, ['road'], out)


def test_heatmap_is_a_method_by_class_table_with_values(tmp_path, monkeypatch):
    """Issue 25: one row per method, one column per class plus the mean, each cell's value
    written in it, NaN as a grey n/a cell, a compact image for 12 methods."""
    from matplotlib.axes import Axes
    texts, ticks = [], {}
    original_text = Axes.text
    monkeypatch.setattr(Axes, 'text', lambda self, x, y, s, **kw: (
        texts.append((x, y, s)), original_text(self, x, y, s, **kw))[1])
    for axis in ('x', 'y'):
        setter = getattr(Axes, f'set_{axis}ticklabels')
        monkeypatch.setattr(Axes, f'set_{axis}ticklabels', lambda self, labels, _a=axis, _s=setter, **kw: (
            ticks.__setitem__(_a, list(labels)), _s(self, labels, **kw))[1])
    rows = {f'Method {k}': {'road': 10.0 * k, 'car': float('nan') if k == 0 else 5.0}
            for k in range(12)}
    out = tmp_path / 'heat.png'
    vis.plot_per_class_heatmap(rows, ['road', 'car'], out, 'Per-class IoU (%)',
                               errors={'Method 1': {'road': 0.5, 'car': 0.25}})
    assert ticks == dict(x=['road', 'car', 'mean'], y=[f'Method {k}' for k in range(12)])
    cells = {(x, y): s for x, y, s in texts}
    assert len(cells) == 12 * 3
    assert cells[(0, 3)] == '30.0' and cells[(2, 3)] == '17.5'  # road, mean of (30, 5)
    assert cells[(1, 0)] == 'n/a' and cells[(2, 0)] == '0.0'  # NaN left out of the mean
    assert cells[(0, 1)] == '10.0\n\u00b10.5'  # the std under the value
    image = cv2.imread(str(out))
    assert image.shape[0] < 1000 and image.shape[1] < 800  # not 4700 px wide
    assert (217, 217, 217) in {tuple(p) for p in image.reshape(-1, 3).tolist()}  # the grey n/a


def test_bar_colours_do_not_repeat_with_many_methods():
    colors = vis.method_colors(12)
    assert len(set(colors)) == 12
    assert len(set(vis.method_colors(25))) == 25


def test_prediction_figure_is_four_enlarged_panels_or_two_without_labels():
    image = np.zeros((32, 64, 3), np.uint8)
    pred = np.zeros((32, 64), np.int64)
    gt = np.full((32, 64), IGNORE_INDEX, np.int64)
    gt[:, :32] = 0
    figure = vis.prediction_figure(image, pred, gt)
    # 64 px wide frames enlarged 4x to 256, four panels 4 px apart, titles above, a key below.
    assert figure.shape[1] == 4 * 256 + 3 * 4 and figure.shape[0] > 128
    assert vis.prediction_figure(image, pred).shape[1] == 2 * 256 + 4
    with pytest.raises(ValueError, match='sizes differ'):
        vis.prediction_figure(image, pred[:16])
