"""Render predictions, pseudo labels, optical flow and benchmark charts as images.

``python tools/visualize.py COMMAND ...`` (docs/visualization.md)::

    predict CONFIG CHECKPOINT --clips 000 001 --out DIR     prediction vs ground truth, per annotated frame
    predict CONFIG --pred-dir PRED --clips 000 --out DIR    the same from label PNGs PRED/<clip>/<stem>.png
    compare --configs A.py B.py --checkpoints a.pth b.pth --clip 000 --out clip.gif|clip.mp4
    labels WORK_DIR/pseudo_labels/round_2 --out DIR         a pseudo-label round, ignored pixels in black
    flow data/synthetic/target/val/flow/000 --out DIR       flow files as Middlebury colour images
    chart work_dirs/benchmark_synthetic/results.json --out chart.png   per-class bar chart

Frames come from the config's test dataset (``test_dataloader.dataset``); predictions are the
model's ``test_step`` outputs, exactly what tools/test.py evaluates. Every file is written
atomically. Colours: docs/visualization.md.
"""
import argparse
import copy
import glob
import json
import math
import os
import os.path as osp
import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone, uninstalled

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402

from uda_toolbox.evaluation import visualization as vis  # noqa: E402
from uda_toolbox.utils import atomic_write, write_png_atomic  # noqa: E402
from uda_toolbox.utils.classes import (  # noqa: E402
    IGNORE_INDEX,
    VIDEO_UDA_CLASSES,
    VIDEO_UDA_PALETTE,
    apply_label_map,
    check_label_values,
)
from uda_toolbox.utils.errors import DataError  # noqa: E402
from uda_toolbox.utils.io import load_frame, load_label  # noqa: E402
from uda_toolbox.utils.rounds import CURRENT_FILE, read_current, round_index  # noqa: E402

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg')
FLOW_SUFFIXES = ('.npy', '.flo', '.png')
Frame = Dict  # a ClipDataset frame record: frame_idx, img_path, seg_map_path, ...


class VisualizeError(Exception):
    """A bad input: the message names it and says how to fix it (printed without a traceback)."""


# ----------------------------------------------------------------------------- inputs
def require_file(path: str, what: str, hint: str = '') -> str:
    if not osp.isfile(path):
        raise VisualizeError(f'{what} {path!r} does not exist.' + (f' {hint}' if hint else ''))
    return path


def require_dir(path: str, what: str, hint: str = '') -> str:
    if not osp.isdir(path):
        raise VisualizeError(f'{what} {path!r} is not a directory.' + (f' {hint}' if hint else ''))
    return path


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    require_file(path, 'config file', 'Pass a config such as configs/source_only/synthetic.py.')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_clip_dataset(cfg: Config, key: str = 'test_dataloader'):
    """The config's clip dataset of ``key`` (its frames, labels and test pipeline)."""
    from uda_toolbox.registry import DATASETS

    dataset_cfg = copy.deepcopy(cfg.get(key, {}).get('dataset'))
    if dataset_cfg is None:
        raise VisualizeError(f'the config has no {key}.dataset to take frames and labels from.')
    dataset_cfg.pop('pseudo_label_dir', None)
    try:
        dataset = DATASETS.build(dataset_cfg)
        dataset.full_init()
    except DataError as exc:
        raise VisualizeError(f'data error: {exc}') from None
    if not (hasattr(dataset, 'clip_ids') and hasattr(dataset, 'clip_frames')):
        raise VisualizeError(f'{key}.dataset is a {type(dataset).__name__}; the visualiser needs a '
                             'clip dataset (ClipDataset or a subclass).')
    return dataset


def select_clips(available: Sequence[str], wanted: Optional[Sequence[str]]) -> List[str]:
    """``wanted`` clip ids (``['all']``: every clip; None: the first one), checked."""
    available = list(available)
    if not available:
        raise VisualizeError('the dataset has no clips.')
    if not wanted:
        return available[:1]
    if list(wanted) == ['all']:
        return available
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise VisualizeError(f'unknown clip(s) {unknown}; the dataset has {len(available)} clips: '
                             f'{available[:20]}{" ..." if len(available) > 20 else ""}')
    return list(wanted)


def read_rgb(path: str) -> np.ndarray:
    return np.ascontiguousarray(load_frame(path)[..., ::-1])


def frame_stem(record: Frame) -> str:
    return osp.splitext(osp.basename(record['img_path']))[0]


def load_ground_truth(dataset, record: Frame) -> Optional[np.ndarray]:
    """Train-id ground truth of a frame (the dataset's label_map applied), None if unannotated."""
    path = record.get('seg_map_path')
    if path is None:
        return None
    label = load_label(path)
    label_map = getattr(dataset, 'label_map', None)
    if label_map:
        label = apply_label_map(label, label_map, path)
    check_label_values(label, len(dataset.metainfo['classes']), path, mapped=bool(label_map))
    return label


def load_label_png(path: str, num_classes: int, hint: str) -> np.ndarray:
    """A (H, W) label PNG of train ids (a prediction or a pseudo label), checked."""
    require_file(path, 'label file', hint)
    label = load_label(path)
    check_label_values(label, num_classes, path)
    return label


# ----------------------------------------------------------------------------- predictors
class ModelPredictor:
    """Predictions of a checkpoint: the frames go through the config's test pipeline and the
    model's ``test_step`` (what tools/test.py evaluates), labels at the frames' size."""

    def __init__(self, cfg: Config, checkpoint: str, batch_size: int = 8,
                 device: Optional[str] = None) -> None:
        import torch
        from mmengine.runner.checkpoint import load_checkpoint

        from uda_toolbox.registry import MODELS

        require_file(checkpoint, 'checkpoint', 'Pass a .pth file written by tools/train.py '
                     '(e.g. work_dirs/<run>/iter_400.pth).')
        self.pipeline = build_clip_dataset(cfg).pipeline
        self.model = MODELS.build(copy.deepcopy(cfg.model))
        try:
            load_checkpoint(self.model, checkpoint, map_location='cpu', logger='silent')
        except Exception as exc:  # torch raises several types for a file that is not a checkpoint
            raise VisualizeError(f'cannot load checkpoint {checkpoint!r}: {exc}') from None
        # BaseModel.to also moves the data preprocessor, which moves each batch.
        self.model.to(device or ('cuda' if torch.cuda.is_available() else 'cpu')).eval()
        self.batch_size = batch_size
        self._no_grad = torch.no_grad

    def __call__(self, dataset, clip_id: str, records: Sequence[Frame]) -> List[np.ndarray]:
        from mmengine.dataset import pseudo_collate

        items = [self.pipeline(dict(
            clip_id=clip_id, frame_ids=[r['frame_idx']], img_paths=[r['img_path']],
            seg_map_paths=[r.get('seg_map_path')], flow_paths=[], label_map=dataset.label_map,
            reduce_zero_label=False, num_classes=len(dataset.metainfo['classes']), sample_idx=k))
            for k, r in enumerate(records)]
        preds = []
        with self._no_grad():
            for start in range(0, len(items), self.batch_size):
                outputs = self.model.test_step(pseudo_collate(items[start:start + self.batch_size]))
                preds += [o.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8) for o in outputs]
        return preds


class DirPredictor:
    """Predictions already on disk: ``<pred_dir>/<clip>/<frame stem>.png`` label maps (train
    ids), the layout ``predict --save-pred`` and the pseudo-label rounds write."""

    def __init__(self, pred_dir: str) -> None:
        self.pred_dir = require_dir(pred_dir, 'predictions directory',
                                    'It must hold <clip>/<frame stem>.png label maps.')

    def __call__(self, dataset, clip_id: str, records: Sequence[Frame]) -> List[np.ndarray]:
        num_classes = len(dataset.metainfo['classes'])
        return [load_label_png(osp.join(self.pred_dir, clip_id, frame_stem(r) + '.png'),
                               num_classes, f'Expected {self.pred_dir}/<clip>/<frame stem>.png for '
                               'every frame shown (write them with predict --save-pred).')
                for r in records]


Predictor = Callable[[object, str, Sequence[Frame]], List[np.ndarray]]


def build_predictors(configs: Sequence[str], checkpoints: Optional[Sequence[str]],
                     pred_dirs: Optional[Sequence[str]], cfg_options: Optional[dict],
                     batch_size: int, device: Optional[str] = None) -> List[Predictor]:
    if pred_dirs:
        return [DirPredictor(d) for d in pred_dirs]
    if not checkpoints or len(checkpoints) != len(configs):
        raise VisualizeError(f'give one checkpoint per config ({len(configs)} config(s), '
                             f'{len(checkpoints or [])} checkpoint(s)), or --pred-dir(s).')
    return [ModelPredictor(load_config(c, cfg_options), ckpt, batch_size, device)
            for c, ckpt in zip(configs, checkpoints)]


# ----------------------------------------------------------------------------- rendering
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


def prediction_figure(image: np.ndarray, gt: np.ndarray, pred: np.ndarray, args, classes,
                      palette) -> np.ndarray:
    """[frame | ground truth | prediction | errors] with titles and a key of the classes shown."""
    size = panel_size(image.shape[:2], args.min_width)
    acc = vis.pixel_accuracy(pred, gt)
    panels = [vis.resize_image(image, size), labels_panel(image, gt, size, args.alpha, palette),
              labels_panel(image, pred, size, args.alpha, palette),
              vis.resize_image(vis.error_map(pred, gt), size)]
    titles = ['frame', 'ground truth', 'prediction' + ('' if math.isnan(acc) else
                                                      f' (acc {100 * acc:.1f}%)'),
              'errors (white)']
    row = vis.side_by_side(panels, titles)
    present = np.union1d(np.unique(gt), np.unique(pred))
    return vis.stack_rows([row, vis.class_legend(present, row.shape[1], classes, palette)])


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


# ----------------------------------------------------------------------------- commands
def cmd_predict(args) -> List[str]:
    cfg = load_config(args.config, args.cfg_options)
    if (args.checkpoint is None) == (args.pred_dir is None):
        raise VisualizeError('predict needs a CHECKPOINT or --pred-dir (one of the two).')
    dataset = build_clip_dataset(cfg)
    classes, palette = dataset.metainfo['classes'], dataset.metainfo.get('palette', VIDEO_UDA_PALETTE)
    predictor = (DirPredictor(args.pred_dir) if args.pred_dir else
                 ModelPredictor(cfg, args.checkpoint, args.batch_size, args.device))
    written = []
    for clip_id in select_clips(dataset.clip_ids(), args.clips):
        records = [r for r in dataset.clip_frames(clip_id) if r.get('seg_map_path')]
        if not records:
            print(f'clip {clip_id}: no annotated frame, skipped')
            continue
        preds = predictor(dataset, clip_id, records)
        correct = labelled = 0
        for record, pred in zip(records, preds):
            image, gt = read_rgb(record['img_path']), load_ground_truth(dataset, record)
            check_same_size(image, gt, 'ground truth', record['seg_map_path'])
            check_same_size(image, pred, 'prediction', record['img_path'])
            stem = frame_stem(record)
            if args.save_pred:
                write_png_atomic(osp.join(args.save_pred, clip_id, stem + '.png'), pred)
            out = osp.join(args.out, clip_id, stem + '.png')
            write_rgb(out, prediction_figure(image, gt, pred, args, classes, palette))
            written.append(out)
            mask = gt != IGNORE_INDEX
            correct += int((pred[mask] == gt[mask]).sum())
            labelled += int(mask.sum())
        acc = f'{100 * correct / labelled:.1f}%' if labelled else '-'
        print(f'clip {clip_id}: {len(records)} annotated frames, pixel accuracy {acc} -> '
              f'{osp.join(args.out, clip_id)}')
    return written


def cmd_compare(args) -> List[str]:
    configs = args.configs
    sources = args.pred_dirs or configs
    # Default titles: the method directory of each config (configs/<method>/...) or the pred dir.
    names = args.names or ([osp.basename(osp.normpath(d)) for d in args.pred_dirs] if args.pred_dirs
                           else [osp.basename(osp.dirname(osp.abspath(c))) for c in configs])
    if len(names) != len(sources):
        raise VisualizeError(f'{len(names)} --names for {len(sources)} models.')
    cfg = load_config(args.data_config or configs[0], args.cfg_options)
    dataset = build_clip_dataset(cfg)
    classes, palette = dataset.metainfo['classes'], dataset.metainfo.get('palette', VIDEO_UDA_PALETTE)
    (clip_id,) = select_clips(dataset.clip_ids(), [args.clip])
    records = dataset.clip_frames(clip_id)
    if args.frames == 'annotated':
        records = [r for r in records if r.get('seg_map_path')]
    if not records:
        raise VisualizeError(f'clip {clip_id!r} has no annotated frame to show.')
    predictors = build_predictors(configs, args.checkpoints, args.pred_dirs, args.cfg_options,
                                  args.batch_size, args.device)
    preds = [p(dataset, clip_id, records) for p in predictors]

    images = [read_rgb(r['img_path']) for r in records]
    gts = [load_ground_truth(dataset, r) for r in records]
    size = panel_size(images[0].shape[:2], args.min_width)
    present = set()
    for k in range(len(records)):
        present.update(np.unique(gts[k]).tolist() if gts[k] is not None else [])
        for method in preds:
            present.update(np.unique(method[k]).tolist())
    frames = []
    for k, (record, image, gt) in enumerate(zip(records, images, gts)):
        panels = [vis.resize_image(image, size)]
        titles = [f'clip {clip_id} frame {record["frame_idx"]}']
        for name, method in zip(names, preds):
            check_same_size(image, method[k], f'prediction of {name}', record['img_path'])
            panels.append(labels_panel(image, method[k], size, args.alpha, palette))
            acc = vis.pixel_accuracy(method[k], gt) if gt is not None else math.nan
            titles.append(name + ('' if math.isnan(acc) else f' ({100 * acc:.0f}%)'))
        if gt is None:  # between annotated frames: the frame itself, said so in the title
            panels.append(vis.resize_image(image, size))
            titles.append('ground truth: none')
        else:
            panels.append(labels_panel(image, gt, size, args.alpha, palette))
            titles.append('ground truth')
        row = vis.side_by_side(panels, titles)
        frames.append(vis.stack_rows([row, vis.class_legend(present, row.shape[1], classes, palette)]))
    fixed = list(palette) + [vis.IGNORE_COLOR, vis.BACKGROUND, vis.TEXT_COLOR]
    write_animation(args.out, frames, args.fps, fixed)
    print(f'clip {clip_id}: {len(frames)} frames of {" vs ".join(names)} vs ground truth -> {args.out}')
    return [args.out]


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
                 ) -> Tuple[Callable[[str, str], Optional[str]], str]:
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
            cfg = load_config(candidate)
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


def cmd_labels(args) -> List[str]:
    round_dir = resolve_round_dir(args.round_dir)
    clips = sorted(e.name for e in os.scandir(round_dir) if e.is_dir() and not e.name.startswith('.'))
    if not clips:
        raise VisualizeError(f'{round_dir!r} holds no <clip>/ directories of label PNGs; is it a '
                             'pseudo-label round (<work_dir>/pseudo_labels/round_<r>)?')
    find_frame, source = frame_finder(round_dir, args.img_dir, args.config)
    print(f'round {round_dir}: frames from {source}')
    palette, classes = VIDEO_UDA_PALETTE, VIDEO_UDA_CLASSES
    written = []
    for clip_id in select_clips(clips, args.clips):
        names = sorted(n for n in os.listdir(osp.join(round_dir, clip_id))
                       if n.endswith('.png') and not n.startswith('.'))
        ignored = total = 0
        for name in names[::args.every]:
            stem = name[:-4]
            label = load_label_png(osp.join(round_dir, clip_id, name), len(classes), '')
            size = panel_size(label.shape, args.min_width)
            share = float((label == IGNORE_INDEX).mean())
            ignored, total = ignored + int((label == IGNORE_INDEX).sum()), total + label.size
            panels = [vis.colorize_labels(vis.resize_labels(label, size), palette)]
            titles = [f'labels ({100 * share:.0f}% ignored)']
            frame_path = find_frame(clip_id, stem)
            if frame_path is not None:
                image = read_rgb(frame_path)
                check_same_size(image, label, 'pseudo label', osp.join(round_dir, clip_id, name))
                panels = [vis.resize_image(image, size),
                          labels_panel(image, label, size, args.alpha, palette)] + panels
                titles = [f'frame {stem}', 'labels over frame'] + titles
            row = vis.side_by_side(panels, titles)
            figure = vis.stack_rows([row, vis.class_legend(np.unique(label), row.shape[1], classes,
                                                           palette)])
            out = osp.join(args.out, clip_id, name)
            write_rgb(out, figure)
            written.append(out)
        if total:
            print(f'clip {clip_id}: {len(names[::args.every])} frames, {100 * ignored / total:.1f}% '
                  f'of pixels ignored -> {osp.join(args.out, clip_id)}')
    stats = osp.join(round_dir, 'stats.json')
    if osp.isfile(stats):
        summary = json.loads(open(stats).read())
        shown = {k: summary[k] for k in ('proportion', 'p_miou', 'num_frames') if k in summary}
        if shown:
            print(f'round statistics ({stats}): {shown}')
    return written


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


def cmd_flow(args) -> List[str]:
    from uda_toolbox.utils.flow_io import read_flow

    written = []
    files = collect_flow_files(args.inputs)
    for path, name in files:
        try:
            flow, valid = read_flow(path, return_valid=True)
        except ValueError as exc:
            raise VisualizeError(str(exc)) from None
        magnitude = np.hypot(flow[..., 0], flow[..., 1])
        color = vis.flow_to_color(flow, args.max_flow, valid)
        size = panel_size(flow.shape[:2], args.min_width)
        peak = float(magnitude[valid].max()) if valid.any() else 0.0
        figure = vis.add_title(vis.resize_image(color, size),
                               f'{osp.basename(name)}: max {peak:.2f} px')
        out = osp.join(args.out, name + '.png')
        write_rgb(out, figure)
        written.append(out)
    legend = osp.join(args.out, 'flow_legend.png')
    write_rgb(legend, vis.add_title(vis.flow_wheel_legend(192), 'direction key'))
    print(f'{len(files)} flow file(s) -> {args.out} (key: {legend})')
    return written + [legend]


def chart_rows(path: str, metric: str) -> Tuple[Dict, Dict, List[str]]:
    """``(rows, errors, classes)`` of a benchmark ``results.json`` or a tools/test.py metrics file."""
    require_file(path, 'results file', 'Pass work_dirs/<benchmark>/results.json (tools/benchmark.py) '
                 'or a test_metrics.json (tools/test.py).')
    try:
        data = json.loads(open(path).read())
    except json.JSONDecodeError as exc:
        raise VisualizeError(f'{path!r} is not JSON ({exc}).') from None
    prefix = f'{metric}.'
    rows, errors, classes = {}, {}, []
    if isinstance(data, dict) and isinstance(data.get('metrics'), dict):  # tools/test.py
        name = osp.basename(osp.dirname(osp.abspath(data.get('config', path))))
        metrics = {k.rsplit('/', 1)[-1]: v for k, v in data['metrics'].items()}
        classes = [c for c in data.get('classes', []) if f'{prefix}{c}' in metrics] or \
            [k[len(prefix):] for k in metrics if k.startswith(prefix)]
        rows[name] = {c: metrics.get(f'{prefix}{c}') for c in classes}
    elif isinstance(data, dict) and all(isinstance(v, dict) for v in data.values()):  # benchmark
        for method, records in data.items():
            for key in records:
                if key.startswith(prefix) and key[len(prefix):] not in classes:
                    classes.append(key[len(prefix):])
            rows[method] = {k[len(prefix):]: r.get('mean') for k, r in records.items()
                            if k.startswith(prefix)}
            if any(len(r.get('values') or []) > 1 for r in records.values()):
                errors[method] = {k[len(prefix):]: r.get('std') for k, r in records.items()
                                  if k.startswith(prefix)}
    if not classes:
        raise VisualizeError(f'{path!r} has no "{prefix}<class>" entries; expected the results.json '
                             'of tools/benchmark.py or the metrics file of tools/test.py.')
    return rows, errors, classes


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def cmd_chart(args) -> List[str]:
    rows, errors, classes = {}, {}, []
    for path in args.results:
        r, e, c = chart_rows(path, args.metric)
        for name in r:
            key = name if name not in rows else f'{name} ({osp.basename(path)})'
            rows[key] = r[name]
            if name in e:
                errors[key] = e[name]
        classes += [x for x in c if x not in classes]
    # As in the benchmark tables: a class no run has a value for (absent from the labels) is left out.
    classes = [c for c in classes if any(_is_number(r.get(c)) for r in rows.values())]
    order = {c: k for k, c in enumerate(VIDEO_UDA_CLASSES)}
    classes.sort(key=lambda c: order.get(c, len(order)))
    default_title = dict(IoU='Per-class IoU', VPQ='Per-class VPQ^s (mean over k)')[args.metric]
    vis.plot_per_class_bars(rows, classes, args.out, args.title or default_title,
                            ylabel=f'{args.metric} (%)', errors=errors or None)
    print(f'{len(rows)} row(s), {len(classes)} classes -> {args.out}')
    return [args.out]


# ----------------------------------------------------------------------------- CLI
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)

    def common(p, alpha=True):
        p.add_argument('--min-width', type=int, default=256,
                       help='enlarge panels narrower than this by an integer factor and shrink '
                       'those wider than 1024 px (0: keep the frame size)')
        if alpha:
            p.add_argument('--alpha', type=float, default=0.6,
                           help='weight of the label colours over the frame (1: colours only)')

    p = sub.add_parser('predict', help='prediction vs ground truth of chosen clips, per annotated frame')
    p.add_argument('config', help='config whose test dataset gives the frames and labels')
    p.add_argument('checkpoint', nargs='?', help='model weights (or use --pred-dir)')
    p.add_argument('--pred-dir', help='predictions as <dir>/<clip>/<frame stem>.png label maps')
    p.add_argument('--clips', nargs='+', help='clip ids ("all": every clip; default: the first)')
    p.add_argument('--out', required=True, help='output directory (<out>/<clip>/<frame stem>.png)')
    p.add_argument('--save-pred', help='also write the predictions as label PNGs into this directory')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--device', help='e.g. cpu, cuda:0 (default: cuda when available)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    common(p)

    p = sub.add_parser('compare', help='animated side-by-side of several models on one clip')
    p.add_argument('--configs', nargs='+', required=True, help='one config per model')
    p.add_argument('--checkpoints', nargs='+', help='one checkpoint per config')
    p.add_argument('--pred-dirs', nargs='+', help='instead of checkpoints: one predictions dir per model')
    p.add_argument('--names', nargs='+', help='panel titles (default: the configs\' directory names)')
    p.add_argument('--data-config', help='config whose test dataset gives the frames (default: the first)')
    p.add_argument('--clip', required=True, help='clip id')
    p.add_argument('--out', required=True, help='.gif or .mp4 file')
    p.add_argument('--frames', choices=['all', 'annotated'], default='all',
                   help='every frame of the clip (ground truth where annotated) or annotated ones only')
    p.add_argument('--fps', type=float, default=4.0)
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--device', help='e.g. cpu, cuda:0 (default: cuda when available)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    common(p)

    p = sub.add_parser('labels', help='a pseudo-label round, ignored pixels shown in black')
    p.add_argument('round_dir', help='<work_dir>/pseudo_labels/round_<r> (or pseudo_labels: its CURRENT)')
    p.add_argument('--out', required=True, help='output directory')
    p.add_argument('--clips', nargs='+', help='clip ids ("all": every clip; default: the first)')
    p.add_argument('--img-dir', help='frames as <dir>/<clip>/<frame stem>.png')
    p.add_argument('--config', help='take the frames from this config\'s target training set')
    p.add_argument('--every', type=int, default=1, help='draw every n-th frame')
    common(p)

    p = sub.add_parser('flow', help='flow files (.npy, .flo, KITTI .png) as colour images')
    p.add_argument('inputs', nargs='+', help='flow files or directories (searched recursively)')
    p.add_argument('--out', required=True, help='output directory')
    p.add_argument('--max-flow', type=float,
                   help='magnitude (px) drawn fully saturated, the same for every file '
                   '(default: each file\'s largest, so colours compare within a file only)')
    common(p, alpha=False)

    p = sub.add_parser('chart', help='per-class bar chart of benchmark or test results')
    p.add_argument('results', nargs='+', help='results.json of tools/benchmark.py and/or '
                   'test_metrics.json of tools/test.py')
    p.add_argument('--out', required=True, help='PNG file')
    p.add_argument('--metric', choices=['IoU', 'VPQ'], default='IoU')
    p.add_argument('--title')
    args = parser.parse_args(argv)
    if getattr(args, 'every', 1) < 1:
        parser.error('--every must be >= 1')
    if getattr(args, 'alpha', 0.0) is not None and not 0.0 <= getattr(args, 'alpha', 0.0) <= 1.0:
        parser.error('--alpha must lie in [0, 1]')
    return args


COMMANDS = dict(predict=cmd_predict, compare=cmd_compare, labels=cmd_labels, flow=cmd_flow,
                chart=cmd_chart)


def main(argv=None) -> List[str]:
    """Run a command; returns the files written. Bad inputs exit with a one-line message."""
    args = parse_args(argv)
    if args.command in ('predict', 'compare', 'labels'):
        from uda_toolbox import register_all_modules

        register_all_modules(init_default_scope=True)
    try:
        return COMMANDS[args.command](args)
    except (VisualizeError, DataError) as exc:
        raise SystemExit(f'error: {exc}') from None
    except (OSError, ValueError) as exc:  # unreadable or malformed frame/label/flow files
        raise SystemExit(f'error: {exc}') from None


if __name__ == '__main__':
    main()
