"""What ``tools/test.py --out`` and ``--show-dir`` write for every test frame.

* ``pred_dir``: the prediction as a label PNG of train ids, ``<pred_dir>/<clip>/<frame stem>.png``
  (mmseg's ``--out`` idea: predictions for offline use; the layout ``tools/visualize.py predict
  --pred-dir`` reads and the pseudo-label rounds use).
* ``show_dir``: the picture of :func:`~uda_toolbox.evaluation.visualization.prediction_figure`
  (frame | ground truth | prediction | errors, with a class key), ``<show_dir>/<clip>_<frame
  index>.png``, enlarged to a readable size.

Files are written atomically; in a distributed test every process writes its own frames.
"""
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook

from uda_toolbox.registry import HOOKS
from uda_toolbox.utils.classes import VIDEO_UDA_PALETTE
from uda_toolbox.utils.io import load_frame, write_png_atomic

from .visualization import prediction_figure, resize_labels


@HOOKS.register_module()
class PredictionWriterHook(Hook):
    """Write each test frame's prediction (``pred_dir``) and its picture (``show_dir``).

    Args:
        pred_dir: Directory of label PNGs, or None.
        show_dir: Directory of pictures, or None.
        alpha: Weight of the label colours over the frame in the pictures.
        min_width: Frames narrower than this are enlarged in the pictures (0: frame size).
    """

    priority = 'LOW'

    def __init__(self, pred_dir: Optional[str] = None, show_dir: Optional[str] = None,
                 alpha: float = 0.6, min_width: int = 256) -> None:
        self.pred_dir, self.show_dir = pred_dir, show_dir
        self.alpha, self.min_width = alpha, min_width
        self.classes: Sequence[str] = ()
        self.palette: Sequence[Sequence[int]] = VIDEO_UDA_PALETTE

    def before_test(self, runner) -> None:
        meta = runner.test_dataloader.dataset.metainfo
        self.classes = meta['classes']
        self.palette = meta.get('palette') or VIDEO_UDA_PALETTE

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        for sample in outputs or []:
            self.write(sample)

    def write(self, sample) -> None:
        """The files of one test ``SegDataSample`` (``pred_sem_seg`` at the frame's size)."""
        meta = sample.metainfo
        pred = sample.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
        clip, img_path = str(meta.get('clip_id', 'clip')), meta['img_path']
        if self.pred_dir:
            stem = osp.splitext(osp.basename(img_path))[0]
            write_png_atomic(osp.join(self.pred_dir, clip, stem + '.png'), pred)
        if self.show_dir:
            image = np.ascontiguousarray(load_frame(img_path)[:, :, ::-1])  # BGR -> RGB
            gt = None
            if 'gt_sem_seg' in sample:
                gt = sample.gt_sem_seg.data[0].cpu().numpy().astype(np.int64)
                if gt.shape != pred.shape:  # labels kept at another resolution than the frame
                    gt = resize_labels(gt, pred.shape)
            figure = prediction_figure(image, pred, gt, self.classes, self.palette, self.alpha,
                                       self.min_width)
            name = f'{clip}_{int(meta.get("frame_idx", 0)):05d}.png'
            write_png_atomic(osp.join(self.show_dir, name), np.ascontiguousarray(figure[:, :, ::-1]))
