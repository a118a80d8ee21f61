"""Class vocabulary: class lists, palettes, ``IGNORE_INDEX`` and label-id mapping.

``VIDEO_UDA_CLASSES``: the 15 classes shared by VIPER and Cityscapes-VPS in Shin et al. (2021)
(Sec. 5.1), in its table order. ``VIPER_CITYSCAPES_SEQ_CLASSES`` / ``SYNTHIA_CITYSCAPES_SEQ_CLASSES``:
the class lists of the two Cityscapes-Seq benchmarks of DA-VSN and TPS. Their colours are Cityscapes'
(so predictions look familiar), taken by name from mmseg's ``CityscapesDataset.METAINFO``.
"""
from typing import Dict, List, Sequence

import numpy as np
from mmseg.datasets.cityscapes import CityscapesDataset

from uda_toolbox.utils.errors import DataFormatError

#: Cityscapes' 19 train-id classes and their colours (cityscapesScripts ``helpers/labels.py``), as
#: mmseg keeps them.
CITYSCAPES_CLASSES = tuple(CityscapesDataset.METAINFO['classes'])
CITYSCAPES_PALETTE = tuple(tuple(int(v) for v in color) for color in CityscapesDataset.METAINFO['palette'])
#: Shin et al. (2021) call Cityscapes' "motorcycle" class "motorbike".
CITYSCAPES_NAMES = {'motorbike': 'motorcycle'}


def cityscapes_palette(classes: Sequence[str]) -> List[List[int]]:
    """The Cityscapes colour of each class name (``CITYSCAPES_NAMES`` maps other spellings)."""
    index = {name: k for k, name in enumerate(CITYSCAPES_CLASSES)}
    missing = [c for c in classes if CITYSCAPES_NAMES.get(c, c) not in index]
    if missing:
        raise ValueError(f'{missing} are not Cityscapes classes {CITYSCAPES_CLASSES}')
    return [list(CITYSCAPES_PALETTE[index[CITYSCAPES_NAMES.get(c, c)]]) for c in classes]


VIDEO_UDA_CLASSES = ('road', 'sidewalk', 'building', 'fence', 'pole', 'traffic light',
                     'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'car',
                     'truck', 'bus', 'motorbike')

VIDEO_UDA_PALETTE = cityscapes_palette(VIDEO_UDA_CLASSES)

IGNORE_INDEX = 255

VIDEO_UDA_METAINFO = dict(classes=VIDEO_UDA_CLASSES, palette=VIDEO_UDA_PALETTE)

# ----------------------------------------------------------------------------- Cityscapes-Seq
# The two benchmarks of DA-VSN / TPS / DA-STC (docs/data.md, "Cityscapes-Seq benchmarks"), in the
# train-id order of the originals' ``CityscapesSeq_list/info_{Viper,SynthiaSeq}.json`` (the order of
# their tables), named as Cityscapes names them (cityscapesScripts ``helpers/labels.py``).

# VIPER -> Cityscapes-Seq: 15 classes (no pole, no rider: VIPER has neither; bicycle instead).
VIPER_CITYSCAPES_SEQ_CLASSES = ('road', 'sidewalk', 'building', 'fence', 'traffic light',
                                'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'car',
                                'truck', 'bus', 'motorcycle', 'bicycle')
VIPER_CITYSCAPES_SEQ_PALETTE = cityscapes_palette(VIPER_CITYSCAPES_SEQ_CLASSES)
VIPER_CITYSCAPES_SEQ_METAINFO = dict(classes=VIPER_CITYSCAPES_SEQ_CLASSES,
                                     palette=VIPER_CITYSCAPES_SEQ_PALETTE)

# SYNTHIA-Seq -> Cityscapes-Seq: 12 classes trained; fence is left out of the reported IoUs and
# mIoU after they are computed (DA-VSN ``eval_video_UDA.py``; maintainer in DA-VSN issue #4: "very
# few frames contain the 'fence' class"), so 11 are reported.
SYNTHIA_CITYSCAPES_SEQ_CLASSES = ('road', 'sidewalk', 'building', 'fence', 'pole', 'traffic light',
                                  'traffic sign', 'vegetation', 'sky', 'person', 'rider', 'car')
SYNTHIA_CITYSCAPES_SEQ_PALETTE = cityscapes_palette(SYNTHIA_CITYSCAPES_SEQ_CLASSES)
SYNTHIA_CITYSCAPES_SEQ_METAINFO = dict(classes=SYNTHIA_CITYSCAPES_SEQ_CLASSES,
                                       palette=SYNTHIA_CITYSCAPES_SEQ_PALETTE)
SYNTHIA_CITYSCAPES_SEQ_UNREPORTED = ('fence',)


def apply_label_map(label: np.ndarray, label_map: Dict[int, int], path: str) -> np.ndarray:
    """Map raw ids to train ids with a lookup table; ids missing from the map become 255."""
    if label.size and label.min() < 0:
        raise DataFormatError(f'label {path!r} has negative ids '
                              f'{np.unique(label[label < 0])[:10]}; raw ids must be >= 0.')
    size = max(max(label_map, default=0), int(label.max(initial=0))) + 1
    lut = np.full(size, IGNORE_INDEX, np.uint8)
    for raw, train in label_map.items():
        lut[int(raw)] = int(train)
    return lut[label]


def check_label_values(label: np.ndarray, num_classes: int, path: str,
                       mapped: bool = False) -> None:
    """Raise ValueError naming the file and the bad values if any id is not a train id."""
    if label.dtype == np.uint8:
        counts = np.bincount(label.ravel(), minlength=256)
        counts[:num_classes] = 0
        counts[IGNORE_INDEX] = 0
        bad = np.flatnonzero(counts)
    else:
        invalid = (label < 0) | ((label >= num_classes) & (label != IGNORE_INDEX))
        bad = np.unique(label[invalid])
    if bad.size:
        fix = ('fix the label_map so every raw id maps to a train id or 255' if mapped else
               'map raw ids to train ids with the dataset\'s label_map (e.g. for VIPER or '
               'Cityscapes label ids) or regenerate the labels')
        raise DataFormatError(f'label {path!r} has values {bad[:20].tolist()} outside '
                              f'[0, {num_classes}) and != {IGNORE_INDEX}: {fix}.')
