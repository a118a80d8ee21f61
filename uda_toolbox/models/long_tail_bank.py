"""The long-tail instance bank of DA-STC: labelled frames drawn per class from a class -> frame index.

DA-STC (ZHE-SAPI/UDASS ``tps/dsp/transformmasks_dsp_cd_xiuzheng.py``, ``rand_mixer``) pastes, at
every iteration, instances of a few long-tail classes into its mixed clips: for each class it draws
random source frames from ``*_ids2path.json`` until the mixing window holds more than 5 pixels of
the class (100 for VIPER's bicycle) and pastes that class's pixels, image and label, at the same
window position. Here the frames come from a dataset config (built through the registry when the
first instance is drawn, so building a model for inference touches no file) and the index file
that ``tools/data/class_frame_index.py`` writes from the same config
(``uda_toolbox.utils.class_frame_index``). Every random draw uses torch's global generator, which
``RNGStateHook`` saves with each checkpoint, so a resumed run draws what the uninterrupted one drew.
docs/methods/da_stc.md, "Long-tail bank".
"""
import copy
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.registry import DefaultScope
from torch import Tensor

from uda_toolbox.registry import DATASETS, SCOPE
from uda_toolbox.utils.class_frame_index import INDEX_COMMAND, index_path, read_index
from uda_toolbox.utils.errors import DataFormatError


class LongTailBank:
    """Draws labelled frames that show a class inside a window.

    Args:
        dataset: Config of the dataset the frames come from (items packed as clips: ``inputs``
            (T, 3, H, W) uint8 and ``gt_seg`` (T, H, W), at the source training size), the one
            the index was written from.
        index_file: The class -> frame index of that dataset. ``{data_root}`` in it stands for
            the dataset's ``data_root``, so a config whose data root is overridden
            (``--cfg-options data_root=...``) reads the index of the same tree.
        classes: The long-tail class set the pasted classes are drawn from (DA-STC: VIPER fence,
            light, sign, terrain, motorcycle, bicycle; SYNTHIA-Seq fence, pole, light, sign, rider).
        per_iteration: Classes pasted per sample and iteration (VIPER 3; SYNTHIA-Seq 2 in
            ``_24.py``, 3 in ``_31.py``).
        min_pixels: A drawn frame is kept when its window holds MORE than this many pixels of the
            class (5).
        class_min_pixels: Per-class exceptions (VIPER: ``{bicycle: 100}``).
        max_draws: Frames drawn per instance before giving up on it (the code loops until one
            fits); a class that fails is skipped for that sample, with a warning.
    """

    def __init__(self, dataset: dict, index_file: str, classes: Sequence[int],
                 per_iteration: int = 3, min_pixels: int = 5,
                 class_min_pixels: Optional[Dict[int, int]] = None, max_draws: int = 100):
        if not classes:
            raise ValueError('LongTailBank: classes (the long-tail class set) is empty')
        if per_iteration < 1:
            raise ValueError(f'LongTailBank: per_iteration must be >= 1, got {per_iteration}')
        self.dataset_cfg = copy.deepcopy(dict(dataset))
        self.index_file = index_path(index_file, self.dataset_cfg)
        self.classes = [int(k) for k in classes]
        self.per_iteration = int(per_iteration)
        self.min_pixels = int(min_pixels)
        self.class_min_pixels = {int(k): int(v) for k, v in (class_min_pixels or {}).items()}
        self.max_draws = int(max_draws)
        self._dataset = None
        self._frames_of: Dict[int, Tensor] = {}
        self._frame = -1
        self._pool: List[int] = []

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        """Build the dataset and read the index (once); check that they belong together."""
        if self._dataset is not None:
            return
        index = read_index(self.index_file)
        with DefaultScope.overwrite_default_scope(SCOPE):
            dataset = DATASETS.build(copy.deepcopy(self.dataset_cfg))
        items = index['items']
        stale = (f'Write it again for this dataset: {INDEX_COMMAND} (the index lists items by '
                 'position; a changed list, root or split moves them).')
        if len(items) != len(dataset):
            raise DataFormatError(f'class-frame index {self.index_file!r} lists {len(items)} items '
                                  f'but the bank dataset has {len(dataset)}. {stale}')
        frame = int(index.get('frame', -1))
        for i in (0, len(items) - 1):
            info = dataset.get_data_info(i)
            if [info['clip_id'], int(info['frame_ids'][frame])] != list(items[i]):
                raise DataFormatError(
                    f'class-frame index {self.index_file!r}: item {i} is {items[i]} but the bank '
                    f'dataset\'s item {i} is clip {info["clip_id"]!r} frame '
                    f'{info["frame_ids"][frame]}. {stale}')
        self._frames_of = {k: torch.tensor([entry[0] for entry in index['classes'].get(str(k), [])],
                                           dtype=torch.long) for k in self.classes}
        self._pool = [k for k in self.classes if self._frames_of[k].numel() > 0]
        missing = sorted(set(self.classes) - set(self._pool))
        if missing:
            warnings.warn(f'LongTailBank: no frame of {self.index_file!r} shows the long-tail '
                          f'classes {missing}; they are never pasted.', stacklevel=2)
        self._frame = frame
        self._dataset = dataset

    # ------------------------------------------------------------------ drawing
    def choose_classes(self) -> List[int]:
        """``per_iteration`` distinct classes of the set (``random.sample``), in increasing order
        (the code pastes them in ``np.unique`` order); fewer if fewer classes have frames."""
        self._load()
        picks = torch.randperm(len(self._pool))[:self.per_iteration].tolist()
        return sorted(self._pool[i] for i in picks)

    def threshold(self, cls: int) -> int:
        return self.class_min_pixels.get(int(cls), self.min_pixels)

    def draw(self, cls: int, top: int, left: int, height: int, width: int
             ) -> Optional[Tuple[Tensor, Tensor]]:
        """A random frame of class ``cls`` whose window (``top``, ``left``, ``height``, ``width``)
        holds more than :meth:`threshold` pixels of it.

        Returns:
            (the window of the frame (3, height, width) uint8, of its label (height, width)
            int64), or None when ``max_draws`` frames did not fit.
        """
        self._load()
        frames = self._frames_of.get(int(cls))
        if frames is None or frames.numel() == 0:
            return None
        need = self.threshold(cls)
        for _ in range(self.max_draws):
            item = self._dataset[int(frames[int(torch.randint(frames.numel(), (1,)))])]
            label = torch.as_tensor(item['gt_seg'][self._frame])
            if top + height > label.shape[-2] or left + width > label.shape[-1]:
                raise DataFormatError(
                    f'LongTailBank: the bank frames are {tuple(label.shape[-2:])} (H, W), smaller '
                    f'than the mixing window at ({top}, {left}) of {height} x {width}; give '
                    'model.long_tail_bank.dataset the pipeline (resize) of the source frames.')
            window = label[top:top + height, left:left + width].long()
            if int((window == cls).sum()) > need:
                image = torch.as_tensor(item['inputs'][self._frame])
                return image[:, top:top + height, left:left + width], window
        warnings.warn(f'LongTailBank: {self.max_draws} frames of class {cls} held no more than '
                      f'{need} pixels of it in the window; not pasted this time.', stacklevel=2)
        return None
