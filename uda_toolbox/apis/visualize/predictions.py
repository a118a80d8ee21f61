"""``predict`` (prediction vs ground truth per annotated frame) and ``compare`` (several models
side by side on one clip, animated)."""
import math
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np

from uda_toolbox.apis.visualize.figures import (
    check_same_size,
    labels_panel,
    panel_size,
    prediction_figure,
    with_legend,
    write_animation,
    write_rgb,
)
from uda_toolbox.apis.visualize.inputs import (
    DirPredictor,
    ModelPredictor,
    VisualizeError,
    build_clip_dataset,
    build_predictors,
    frame_stem,
    load_ground_truth,
    read_config,
    read_rgb,
    select_clips,
)
from uda_toolbox.evaluation import visualization as vis
from uda_toolbox.utils import write_png_atomic
from uda_toolbox.utils.classes import IGNORE_INDEX, VIDEO_UDA_PALETTE


def classes_and_palette(dataset):
    return dataset.metainfo['classes'], dataset.metainfo.get('palette', VIDEO_UDA_PALETTE)


def draw_predictions(config: str, out: str, checkpoint: Optional[str] = None,
                     pred_dir: Optional[str] = None, clips: Optional[Sequence[str]] = None,
                     save_pred: Optional[str] = None, batch_size: int = 8,
                     device: Optional[str] = None, cfg_options: Optional[dict] = None,
                     min_width: int = 256, alpha: float = 0.6) -> List[str]:
    """``out/<clip>/<frame stem>.png`` per annotated frame of ``clips`` of the config's test set:
    [frame | ground truth | prediction | errors]. The predictions come from ``checkpoint`` or from
    ``pred_dir`` label PNGs (one of the two); ``save_pred`` also writes them as label PNGs."""
    cfg = read_config(config, cfg_options)
    if (checkpoint is None) == (pred_dir is None):
        raise VisualizeError('predict needs a CHECKPOINT or --pred-dir (one of the two).')
    dataset = build_clip_dataset(cfg)
    classes, palette = classes_and_palette(dataset)
    predictor = (DirPredictor(pred_dir) if pred_dir else
                 ModelPredictor(cfg, checkpoint, batch_size, device))
    written = []
    for clip_id in select_clips(dataset.clip_ids(), clips):
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
            if save_pred:
                write_png_atomic(osp.join(save_pred, clip_id, stem + '.png'), pred)
            path = osp.join(out, clip_id, stem + '.png')
            write_rgb(path, prediction_figure(image, gt, pred, min_width, alpha, classes, palette))
            written.append(path)
            mask = gt != IGNORE_INDEX
            correct += int((pred[mask] == gt[mask]).sum())
            labelled += int(mask.sum())
        acc = f'{100 * correct / labelled:.1f}%' if labelled else '-'
        print(f'clip {clip_id}: {len(records)} annotated frames, pixel accuracy {acc} -> '
              f'{osp.join(out, clip_id)}')
    return written


def draw_comparison(configs: Sequence[str], clip: str, out: str,
                    checkpoints: Optional[Sequence[str]] = None,
                    pred_dirs: Optional[Sequence[str]] = None,
                    names: Optional[Sequence[str]] = None, data_config: Optional[str] = None,
                    frames: str = 'all', fps: float = 4.0, batch_size: int = 8,
                    device: Optional[str] = None, cfg_options: Optional[dict] = None,
                    min_width: int = 256, alpha: float = 0.6) -> List[str]:
    """An animation (``out``: .gif or .mp4) of one clip: the frame, each model's prediction and
    the ground truth side by side; ``frames='annotated'`` shows the annotated frames only."""
    sources = pred_dirs or configs
    # Default titles: the method directory of each config (configs/<method>/...) or the pred dir.
    names = names or ([osp.basename(osp.normpath(d)) for d in pred_dirs] if pred_dirs
                      else [osp.basename(osp.dirname(osp.abspath(c))) for c in configs])
    if len(names) != len(sources):
        raise VisualizeError(f'{len(names)} --names for {len(sources)} models.')
    dataset = build_clip_dataset(read_config(data_config or configs[0], cfg_options))
    classes, palette = classes_and_palette(dataset)
    (clip_id,) = select_clips(dataset.clip_ids(), [clip])
    records = dataset.clip_frames(clip_id)
    if frames == 'annotated':
        records = [r for r in records if r.get('seg_map_path')]
    if not records:
        raise VisualizeError(f'clip {clip_id!r} has no annotated frame to show.')
    predictors = build_predictors(configs, checkpoints, pred_dirs, cfg_options, batch_size, device)
    preds = [p(dataset, clip_id, records) for p in predictors]

    images = [read_rgb(r['img_path']) for r in records]
    gts = [load_ground_truth(dataset, r) for r in records]
    size = panel_size(images[0].shape[:2], min_width)
    present = set()
    for k in range(len(records)):
        present.update(np.unique(gts[k]).tolist() if gts[k] is not None else [])
        for method in preds:
            present.update(np.unique(method[k]).tolist())
    figures = []
    for k, (record, image, gt) in enumerate(zip(records, images, gts)):
        panels = [vis.resize_image(image, size)]
        titles = [f'clip {clip_id} frame {record["frame_idx"]}']
        for name, method in zip(names, preds):
            check_same_size(image, method[k], f'prediction of {name}', record['img_path'])
            panels.append(labels_panel(image, method[k], size, alpha, palette))
            acc = vis.pixel_accuracy(method[k], gt) if gt is not None else math.nan
            titles.append(name + ('' if math.isnan(acc) else f' ({100 * acc:.0f}%)'))
        if gt is None:  # between annotated frames: the frame itself, said so in the title
            panels.append(vis.resize_image(image, size))
            titles.append('ground truth: none')
        else:
            panels.append(labels_panel(image, gt, size, alpha, palette))
            titles.append('ground truth')
        figures.append(with_legend(vis.side_by_side(panels, titles), present, classes, palette))
    fixed = list(palette) + [vis.IGNORE_COLOR, vis.BACKGROUND, vis.TEXT_COLOR]
    write_animation(out, figures, fps, fixed)
    print(f'clip {clip_id}: {len(figures)} frames of {" vs ".join(names)} vs ground truth -> {out}')
    return [out]
