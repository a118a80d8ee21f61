"""Figures of a pseudo-label round: labelled proportion and P-mIoU (Shin et al. (2021), Table 7)."""
from typing import Any, Dict, Optional, Sequence

import numpy as np

from uda_toolbox.utils.classes import IGNORE_INDEX


class RoundStats:
    """Labelled proportion and, where ground truth exists, P-mIoU of pseudo labels (Shin et al.
    (2021) Table 7).

    P-mIoU is the mIoU of the pseudo labels against the ground truth over the pixels that are
    labelled in both (ignored pseudo-label pixels are not errors: the proportion reports them);
    classes absent from both are left out of the mean. It is an analysis figure only: nothing
    in training reads the target ground truth.
    """

    def __init__(self, num_classes: int, ignore_index: int = IGNORE_INDEX):
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.pixels = 0
        self.labelled = 0
        self.frames = 0
        self.class_pixels = np.zeros(num_classes, np.int64)
        self.gt_frames = 0
        self.gt_pixels = 0  # valid ground-truth pixels of the annotated frames
        self.gt_labelled = 0  # ... of which the pseudo label is not ignored
        self.confusion = np.zeros((num_classes, num_classes), np.int64)  # rows: gt, cols: pseudo

    def add(self, label: np.ndarray, gt: Optional[np.ndarray] = None) -> None:
        """Count one frame's pseudo label (H, W) and, if given, compare it with its ground truth."""
        valid = label != self.ignore_index
        self.frames += 1
        self.pixels += label.size
        self.labelled += int(valid.sum())
        self.class_pixels += np.bincount(label[valid].ravel(), minlength=self.num_classes)[
            :self.num_classes]
        if gt is None:
            return
        if gt.shape != label.shape:
            raise ValueError(f'ground truth {gt.shape} and pseudo label {label.shape} differ in size')
        gt_valid = (gt != self.ignore_index) & (gt < self.num_classes)
        both = gt_valid & valid
        self.gt_frames += 1
        self.gt_pixels += int(gt_valid.sum())
        self.gt_labelled += int(both.sum())
        pairs = gt[both].astype(np.int64) * self.num_classes + label[both].astype(np.int64)
        self.confusion += np.bincount(pairs, minlength=self.num_classes ** 2).reshape(
            self.num_classes, self.num_classes)

    def summary(self) -> Dict[str, Any]:
        """Plain-JSON figures: ``proportion`` (labelled pixels / pixels), ``class_proportion``,
        and with ground truth ``p_miou``, ``p_iou`` (per class, None where undefined),
        ``p_acc`` (pixel accuracy) and ``gt_proportion`` (proportion on annotated frames), in %
        for the IoU and accuracy figures."""
        out: Dict[str, Any] = dict(
            frames=self.frames, pixels=self.pixels, labelled_pixels=self.labelled,
            proportion=self.labelled / max(self.pixels, 1),
            class_proportion=(self.class_pixels / max(self.labelled, 1)).round(6).tolist(),
            gt_frames=self.gt_frames)
        if self.gt_frames:
            tp = np.diag(self.confusion).astype(np.float64)
            union = self.confusion.sum(0) + self.confusion.sum(1) - tp
            with np.errstate(invalid='ignore', divide='ignore'):
                iou = tp / union
            defined = union > 0
            out.update(
                p_miou=float(np.nanmean(iou[defined]) * 100) if defined.any() else None,
                p_iou=[float(v * 100) if d else None for v, d in zip(iou, defined)],
                p_acc=float(tp.sum() / max(self.confusion.sum(), 1) * 100),
                gt_proportion=self.gt_labelled / max(self.gt_pixels, 1))
        return out

    @classmethod
    def combine(cls, parts: Sequence[Optional['RoundStats']], num_classes: int = 0) -> 'RoundStats':
        """The statistics of several shards of a round (None: a shard without frames)."""
        parts = [p for p in parts if p is not None]
        out = cls(parts[0].num_classes if parts else num_classes,
                  parts[0].ignore_index if parts else IGNORE_INDEX)
        for part in parts:
            for key in ('pixels', 'labelled', 'frames', 'gt_frames', 'gt_pixels', 'gt_labelled'):
                setattr(out, key, getattr(out, key) + getattr(part, key))
            out.class_pixels += part.class_pixels
            out.confusion += part.confusion
        return out
