"""Write the class -> frame index of a labelled dataset (the long-tail bank of DA-STC).

DA-STC draws long-tail instances from ``viper_ids2path.json`` / ``synthia_ids2path.json``
(ZHE-SAPI/UDASS ``video_udass/VIDEO/data/``): for each class, the source frames that show it.
Here the index is computed from the dataset config the bank reads at training time
(``model.long_tail_bank.dataset`` of a DA-STC config), through that dataset's own pipeline, so
the labels are counted exactly as training sees them (label map, resize, crop). The file format:
``uda_toolbox.utils.class_frame_index``; the command: ``tools/data/class_frame_index.py``.
"""
import copy
from typing import Callable, Optional, Union

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from torch.utils.data import DataLoader

from uda_toolbox.registry import DATASETS, SCOPE
from uda_toolbox.utils.class_frame_index import (
    class_pixel_counts,
    index_path,
    make_index,
    write_index,
)
from uda_toolbox.utils.errors import DataFormatError

#: Where a config keeps the bank (``model.<BANK_KEY>``).
BANK_KEY = 'long_tail_bank'


def _first(batch):
    return batch


def build_class_frame_index(dataset, num_classes: int, frame: int = -1, workers: int = 0,
                            progress: Optional[Callable[[int, int], None]] = None) -> dict:
    """The index of every item of ``dataset`` (a dataset or its config).

    Args:
        dataset: Items packed as training clips (``gt_seg`` (T, H, W)), e.g. a ``ClipDataset`` in
            test mode or a ``VIPERSeqDataset`` with ``frame_offsets=(0,)``.
        num_classes: C; label values outside 0..C-1 are not indexed.
        frame: Which frame of each item is indexed (the bank pastes that frame; -1: the last, the
            labelled frame t of the snippet datasets).
        workers: Dataloader workers reading the items (0: in this process).
        progress: ``(done, total)`` callback.
    """
    if isinstance(dataset, dict):
        with DefaultScope.overwrite_default_scope(SCOPE):
            dataset = DATASETS.build(copy.deepcopy(dataset))
    total = len(dataset)
    loader = DataLoader(dataset, batch_size=None, shuffle=False, num_workers=workers,
                        collate_fn=_first)
    items, counts = [], []
    for i, item in enumerate(loader):
        if 'gt_seg' not in item:
            raise DataFormatError(
                'class-frame index: the dataset\'s items have no gt_seg; its pipeline must load '
                'the labels and pack clips (LoadClipFrames, LoadClipAnnotations, ..., PackClipInputs)')
        info = dataset.get_data_info(i)
        label = item['gt_seg'][frame]
        items.append((info['clip_id'], int(info['frame_ids'][frame])))
        counts.append(class_pixel_counts(torch.as_tensor(label).numpy(), num_classes))
        if progress is not None:
            progress(i + 1, total)
    name = f'{type(dataset).__name__} at {getattr(dataset, "data_root", "")}'
    return make_index(items, counts, num_classes, frame, name)


def bank_settings(config: Union[str, Config]) -> dict:
    """The bank of a DA-STC config (``model.long_tail_bank``): dataset, index_file, ...; the
    number of classes is the segmentor's."""
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    bank = cfg.model.get(BANK_KEY) if 'model' in cfg else None
    if not bank:
        raise KeyError(f'the config has no model.{BANK_KEY} (a DA-STC config, e.g. '
                       'configs/da_stc/synthetic.py, names the dataset and the index file there)')
    segmentor = cfg.model.segmentor
    inner = segmentor.get('segmentor', segmentor)  # a TwoFrameSegmentor wraps the segmentor
    return dict(dataset=bank['dataset'], index_file=index_path(bank['index_file'], bank['dataset']),
                num_classes=int(inner['decode_head']['num_classes']))


def write_class_frame_index(config: Union[str, Config], out: Optional[str] = None,
                            workers: int = 0, progress=None) -> str:
    """Index the bank dataset of a config and write it (atomically) to ``out`` or the config's
    ``index_file``. Returns the path written."""
    settings = bank_settings(config)
    index = build_class_frame_index(settings['dataset'], settings['num_classes'],
                                    workers=workers, progress=progress)
    path = out or settings['index_file']
    write_index(path, index)
    return path
