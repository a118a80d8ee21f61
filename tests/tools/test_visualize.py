"""tools/visualize.py on the tiny embedded pair: the files it writes, their sizes and colours."""
import json

import cv2
import numpy as np
import pytest
from PIL import Image

from tools import visualize
from uda_toolbox.apis.visualize.charts import chart_rows
from uda_toolbox.evaluation import visualization as vis
from uda_toolbox.utils.classes import VIDEO_UDA_PALETTE

# The tiny pair's frames are 32 x 64: shown 4x larger (min width 256) as 128 x 256 panels.
PANEL_H, PANEL_W, GAP = 128, 256, 4
STRIP = vis.title_height(PANEL_W)


@pytest.fixture(scope='module')
def model_files(tmp_path_factory, repo_root, tiny_pair, untrained_checkpoint):
    """A config on the tiny pair and an untrained checkpoint of its model."""
    root = tmp_path_factory.mktemp('visualize')
    cfg_path = root / 'tiny_source_only.py'
    cfg_path.write_text(f"""
_base_ = ['{repo_root}/configs/source_only/synthetic.py']
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(data_root='{tiny_pair}'))
test_dataloader = val_dataloader
train_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    source=dict(data_root='{tiny_pair}'), target=dict(data_root='{tiny_pair}')))
""")
    ckpt = untrained_checkpoint(cfg_path, root / 'model.pth')
    return cfg_path, ckpt


def _rgb(path):
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return image[..., ::-1]


def _gt(tiny_pair, clip, stem):
    return np.array(Image.open(tiny_pair / 'target' / 'val' / 'cls' / clip / f'{stem}.png'))


def _panel(figure, index):
    """The ``index``-th panel (without its title) of a side_by_side row."""
    left = index * (PANEL_W + GAP)
    return figure[STRIP:STRIP + PANEL_H, left:left + PANEL_W]


def test_predict_panels_sizes_and_palette(tmp_path, model_files, tiny_pair):
    cfg, ckpt = model_files
    out, preds = tmp_path / 'out', tmp_path / 'preds'
    written = visualize.main(['predict', str(cfg), str(ckpt), '--clips', '000', '001', '--out', str(out),
                              '--save-pred', str(preds), '--alpha', '1'])
    # One figure per annotated frame (frames 4 and 9 of each 10-frame clip).
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob('*.png'))
    assert names == ['000/000_00004.png', '000/000_00009.png', '001/001_00004.png', '001/001_00009.png']
    assert len(written) == 4
    figure = _rgb(out / '000' / '000_00009.png')
    assert figure.shape[1] == 4 * PANEL_W + 3 * GAP
    assert figure.shape[0] > STRIP + PANEL_H  # + the class key below
    # With alpha 1 the ground-truth panel is the label map in palette colours, enlarged 4x.
    gt = _gt(tiny_pair, '000', '000_00009')
    expected = np.asarray(VIDEO_UDA_PALETTE, np.uint8)[np.kron(gt, np.ones((4, 4), np.uint8))]
    assert (_panel(figure, 1) == expected).all()
    # The prediction panel shows the saved prediction in palette colours.
    pred = np.array(Image.open(preds / '000' / '000_00009.png'))
    assert pred.shape == gt.shape and pred.max() < 15
    assert (_panel(figure, 2) == vis.colorize_labels(vis.resize_labels(pred, (PANEL_H, PANEL_W)))).all()
    # The error panel: grey where right, white where wrong.
    wrong = vis.resize_labels((pred != gt).astype(np.uint8), (PANEL_H, PANEL_W)).astype(bool)
    errors = _panel(figure, 3)
    assert (errors[wrong] == 255).all() and (errors[~wrong] == 128).all()

    # The same figures from the saved predictions (the predictions-dir input).
    again = tmp_path / 'again'
    visualize.main(['predict', str(cfg), '--pred-dir', str(preds), '--clips', '000', '--out', str(again),
                    '--alpha', '1'])
    assert (_rgb(again / '000' / '000_00009.png') == figure).all()


def test_compare_writes_a_gif_and_an_mp4(tmp_path, model_files, tiny_pair):
    cfg, ckpt = model_files
    gif = tmp_path / 'clip.gif'
    visualize.main(['compare', '--configs', str(cfg), str(cfg), '--checkpoints', str(ckpt), str(ckpt),
                    '--names', 'source-only', 'method', '--clip', '001', '--out', str(gif)])
    with Image.open(gif) as animation:
        assert animation.n_frames == 10  # every frame of the clip
        width, height = animation.size
        assert width == 4 * PANEL_W + 3 * GAP and height > STRIP + PANEL_H
        animation.seek(4)  # an annotated frame: the ground-truth panel, palette colours kept exactly
        frame = np.array(animation.convert('RGB'))
    gt = _gt(tiny_pair, '001', '001_00004')
    colours = {tuple(c) for c in frame.reshape(-1, 3).tolist()}
    for cls in np.unique(gt):  # the class key shows each class of the frame in its exact colour
        assert tuple(VIDEO_UDA_PALETTE[cls]) in colours

    mp4 = tmp_path / 'clip.mp4'
    visualize.main(['compare', '--configs', str(cfg), '--checkpoints', str(ckpt), '--clip', '001',
                    '--frames', 'annotated', '--out', str(mp4)])
    video = cv2.VideoCapture(str(mp4))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 2
    assert int(video.get(cv2.CAP_PROP_FRAME_WIDTH)) == 3 * PANEL_W + 2 * GAP
    video.release()


def test_labels_shows_ignored_pixels_over_the_frame(tmp_path, tiny_pair):
    round_dir = tmp_path / 'pseudo_labels' / 'round_3'
    label = np.full((32, 64), 255, np.uint8)
    label[:16] = 9  # sky on top, ignored below
    label[28:, :32] = 0  # road
    (round_dir / '000').mkdir(parents=True)
    for frame in (0, 1):
        cv2.imwrite(str(round_dir / '000' / f'000_{frame:05d}.png'), label)
    (tmp_path / 'pseudo_labels' / 'CURRENT').write_text('round_3\n')
    out = tmp_path / 'out'
    visualize.main(['labels', str(tmp_path / 'pseudo_labels'), '--out', str(out),
                    '--img-dir', str(tiny_pair / 'target' / 'train' / 'img')])
    figure = _rgb(out / '000' / '000_00001.png')
    assert figure.shape[1] == 3 * PANEL_W + 2 * GAP  # frame, labels over frame, labels
    labels_panel = _panel(figure, 2)
    big = vis.resize_labels(label, (PANEL_H, PANEL_W))
    assert (labels_panel[big == 255] == 0).all()  # ignored: black
    assert (labels_panel[big == 9] == VIDEO_UDA_PALETTE[9]).all()
    assert (labels_panel[big == 0] == VIDEO_UDA_PALETTE[0]).all()
    # Over the frame, ignored pixels are the frame darkened (alpha 0.6 of black).
    frame = _rgb(tiny_pair / 'target' / 'train' / 'img' / '000' / '000_00001.png')
    shown = vis.resize_image(frame, (PANEL_H, PANEL_W))
    over = _panel(figure, 1)
    assert np.abs(over[big == 255].astype(int) - np.rint(0.4 * shown[big == 255])).max() <= 1

    # Without frames the labels are drawn alone.
    alone = tmp_path / 'alone'
    visualize.main(['labels', str(round_dir), '--out', str(alone)])
    assert _rgb(alone / '000' / '000_00000.png').shape[1] == PANEL_W


def test_flow_colours_a_uniform_flow(tmp_path):
    flow = np.zeros((8, 16, 2), np.float16)
    flow[..., 0] = 2.0  # everything moves right: red
    (tmp_path / 'flows' / '007').mkdir(parents=True)
    np.save(tmp_path / 'flows' / '007' / '007_00003_fw.npy', flow)
    out = tmp_path / 'out'
    visualize.main(['flow', str(tmp_path / 'flows'), '--out', str(out), '--min-width', '0'])
    image = _rgb(out / 'flows' / '007' / '007_00003_fw.png')
    strip = vis.title_height(16)
    assert image.shape == (strip + 8, 16, 3)
    assert (image[strip:] == [255, 0, 0]).all()
    assert (out / 'flow_legend.png').is_file()


def test_chart_from_benchmark_and_test_results(tmp_path):
    results = {
        'Source-only': {'IoU.road': dict(mean=60.0, std=1.0, values=[59.0, 61.0]),
                        'IoU.car': dict(mean=20.0, std=2.0, values=[18.0, 22.0]), 'mIoU': {}},
        'VAT': {'IoU.road': dict(mean=70.0, std=0.0, values=[70.0]),
                'IoU.car': dict(mean=None, std=None, values=[None])},
    }
    bench = tmp_path / 'results.json'
    bench.write_text(json.dumps(results))
    test_json = tmp_path / 'test_metrics.json'
    test_json.write_text(json.dumps(dict(config='configs/vst/synthetic.py', classes=['road', 'car', 'bus'],
                                         metrics={'IoU.road': 75.0, 'IoU.car': 40.0, 'IoU.bus': None})))
    out = tmp_path / 'chart.png'
    visualize.main(['chart', str(bench), str(test_json), '--out', str(out)])
    image = cv2.imread(str(out))
    assert image is not None and image.shape[1] > 500
    # The test file's row is named by its run dir (not by the file name), classes in order.
    rows, _, classes = chart_rows(str(test_json), 'IoU')
    assert list(rows) == [tmp_path.name] and classes == ['road', 'car', 'bus']
    visualize.main(['chart', str(bench), '--out', str(tmp_path / 'bars.png'), '--kind', 'bars'])
    assert cv2.imread(str(tmp_path / 'bars.png')) is not None


@pytest.mark.parametrize('argv, message', [
    (['predict', 'missing.py', 'x.pth', '--out', 'o'], "config file 'missing.py' does not exist"),
    (['chart', 'nope.json', '--out', 'c.png'], "results file 'nope.json' does not exist"),
    (['labels', 'no_round_dir', '--out', 'o'], "pseudo-label round 'no_round_dir' is not a directory"),
    (['flow', 'no_flow.npy', '--out', 'o'], "flow input 'no_flow.npy' does not exist"),
])
def test_missing_inputs_are_clear_errors(tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=message):
        visualize.main(argv)


def test_bad_model_inputs_are_clear_errors(tmp_path, model_files):
    cfg, ckpt = model_files
    out = str(tmp_path / 'o')
    with pytest.raises(SystemExit, match="checkpoint '.*nope.pth' does not exist"):
        visualize.main(['predict', str(cfg), str(tmp_path / 'nope.pth'), '--out', out])
    with pytest.raises(SystemExit, match=r"unknown clip\(s\) \['999'\]"):
        visualize.main(['predict', str(cfg), str(ckpt), '--clips', '999', '--out', out])
    with pytest.raises(SystemExit, match='CHECKPOINT or --pred-dir'):
        visualize.main(['predict', str(cfg), '--out', out])
    (tmp_path / 'empty_preds').mkdir()
    with pytest.raises(SystemExit, match='000_00004.png'):
        visualize.main(['predict', str(cfg), '--pred-dir', str(tmp_path / 'empty_preds'), '--out', out])
    with pytest.raises(SystemExit, match='.gif or .mp4'):
        visualize.main(['compare', '--configs', str(cfg), '--checkpoints', str(ckpt), '--clip', '000',
                        '--frames', 'annotated', '--out', str(tmp_path / 'x.avi')])
    not_ckpt = tmp_path / 'not_a_checkpoint.pth'
    not_ckpt.write_text('hello')
    with pytest.raises(SystemExit, match='cannot load checkpoint'):
        visualize.main(['predict', str(cfg), str(not_ckpt), '--out', out])
