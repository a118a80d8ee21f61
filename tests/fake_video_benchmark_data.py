"""Tiny Cityscapes-Seq, VIPER and SYNTHIA-Seq trees in the official layouts of the DA-VSN / TPS
benchmarks, with split lists in the originals' name format, for tests (no real data here).

Frames encode where they come from (blue channel = a function of the frame number) so tests can
check which frames a snippet holds; labels cover every raw id of their dataset, so the tests can
compute per-class histograms of the mapped labels on their own.
"""
from pathlib import Path
from typing import Dict, List, Tuple

import cv2
import numpy as np
from fake_benchmark_data import viper_frame, write_viper_label

from uda_toolbox.datasets.viper import VIPER_NUM_IDS

CS_SIZE = (32, 64)  # (H, W): Cityscapes' 1:2
VIPER_SIZE = (36, 64)  # VIPER's 9:16
SYNTHIA_SIZE = (184, 128)  # 120 rows cut by the pipeline leave 64x128, the tests' input size
SYNTHIA_CROP = 120

# (city, seq, annotated frame): a _000019 frame, another frame number (as in 1098 of the 2975
# train entries) and the <city>_000019_000019 naming of 12 train entries.
CS_ENTRIES = {
    'train': [('aachen', '000000', 19), ('bochum', '000000', 313), ('krefeld', '000019', 19)],
    'val': [('frankfurt', '000000', 294), ('lindau', '000000', 19)],
}
CS_FRAMES_AROUND = range(-3, 2)  # frames t-3 .. t+1 of each snippet exist
VIPER_ENTRIES = [('001', 10), ('001', 20), ('002', 10)]
VIPER_EGO = ('001', 20)  # this labelled frame shows the ego vehicle
SYNTHIA_FRAMES = 4  # 000000 .. 000003; the list names 000001 .. 000003


def write_list(path: Path, entries: List[str], trailing_newline: bool) -> Path:
    """A split list as the originals write it (only Cityscapes-Seq train.txt ends with '\\n')."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('\n'.join(entries) + ('\n' if trailing_newline else ''))
    return path


# ----------------------------------------------------------------------------- Cityscapes-Seq


def cs_frame(number: int, frame: int, size=CS_SIZE) -> np.ndarray:
    """BGR frame: blue = (4 * frame + snippet number) % 256, a horizontal ramp in green."""
    img = np.zeros((*size, 3), np.uint8)
    img[..., 0] = (4 * frame + number) % 256
    img[..., 1] = np.arange(size[1], dtype=np.uint8)[None, :] * 3
    img[..., 2] = 90
    return img


def cs_label_ids(number: int, size=CS_SIZE) -> np.ndarray:
    """Cityscapes labelIds 0..33, every id present, shifted per snippet."""
    h, w = size
    return ((np.arange(h)[:, None] * w + np.arange(w)[None, :] + 7 * number) % 34).astype(np.uint8)


def cs_entry(city: str, seq: str, frame: int) -> str:
    return f'{city}/{city}_{seq}_{frame:06d}_leftImg8bit.png'


def make_cityscapes_seq_tree(root: Path, size=CS_SIZE) -> Dict[str, Path]:
    """``leftImg8bit_sequence/{train,val}`` frames t-3..t+1 of every entry, ``gtFine`` labelIds
    of t, and the lists ``<root>/lists/{train,val}.txt``. Returns ``{split: list path}``."""
    lists = {}
    number = 0
    for split, entries in CS_ENTRIES.items():
        for city, seq, t in entries:
            number += 1
            frame_dir = root / 'leftImg8bit_sequence' / split / city
            frame_dir.mkdir(parents=True, exist_ok=True)
            for offset in CS_FRAMES_AROUND:
                cv2.imwrite(str(frame_dir / f'{city}_{seq}_{t + offset:06d}_leftImg8bit.png'),
                            cs_frame(number, t + offset, size))
            label_dir = root / 'gtFine' / split / city
            label_dir.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(label_dir / f'{city}_{seq}_{t:06d}_gtFine_labelIds.png'),
                        cs_label_ids(number, size))
        lists[split] = write_list(root / 'lists' / f'{split}.txt',
                                  [cs_entry(*e) for e in entries], trailing_newline=split == 'train')
    return lists


def cs_snippet_number(split: str, index: int) -> int:
    """The number :func:`make_cityscapes_seq_tree` gave the ``index``-th entry of ``split``."""
    return (0 if split == 'train' else len(CS_ENTRIES['train'])) + index + 1


# ----------------------------------------------------------------------------- VIPER


def viper_raw_ids(seq: str, frame: int, size=VIPER_SIZE) -> Tuple[np.ndarray, np.ndarray]:
    """(VIPER ids 0..31, ego-vehicle mask). Every id is present; the frame ``VIPER_EGO`` has a car
    blob touching the bottom-centre pixel (the ego vehicle) and another car elsewhere."""
    h, w = size
    ids = ((np.arange(h)[:, None] * w + np.arange(w)[None, :] + int(seq) + frame) % VIPER_NUM_IDS)
    ids = ids.astype(np.uint8)
    ids[ids == 24] = 3  # cars only where drawn below, so the ego component is known exactly
    ego = np.zeros((h, w), bool)
    ids[h - 1, w // 2] = 3  # road under the camera
    ids[2:5, 2:6] = 24  # a car that is not the ego vehicle
    if (seq, frame) == VIPER_EGO:
        ego[h - 6:, w // 2 - 5:w // 2 + 5] = True
        ids[ego] = 24
    return ids, ego


def make_viper_seq_tree(root: Path, size=VIPER_SIZE) -> Path:
    """``train/img/SSS/SSS_FFFFF.jpg`` for t-1 and t of every entry, ``train/cls`` for t (the
    every-10th labels), and ``<root>/lists/train.txt``. Returns the list path."""
    for seq, t in VIPER_ENTRIES:
        for frame in (t - 1, t):
            path = root / 'train' / 'img' / seq / f'{seq}_{frame:05d}.jpg'
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), viper_frame(seq, frame, size))
        write_viper_label(root / 'train' / 'cls' / seq / f'{seq}_{t:05d}.png',
                          viper_raw_ids(seq, t, size)[0])
    return write_list(root / 'lists' / 'train.txt',
                      [f'{seq}/{seq}_{t:05d}.jpg' for seq, t in VIPER_ENTRIES], trailing_newline=False)


# ----------------------------------------------------------------------------- SYNTHIA-Seq


def synthia_raw_ids(frame: int, size=SYNTHIA_SIZE) -> np.ndarray:
    """SYNTHIA class ids 0..15, every id present in the rows the crop keeps."""
    h, w = size
    return ((np.arange(h)[:, None] * w + np.arange(w)[None, :] + 3 * frame) % 16).astype(np.uint16)


def synthia_frame(frame: int, size=SYNTHIA_SIZE) -> np.ndarray:
    img = np.zeros((*size, 3), np.uint8)
    img[..., 0] = (16 * frame + 5) % 256
    img[..., 1] = np.arange(size[0], dtype=np.uint8)[:, None]
    img[..., 2] = 40
    return img


def write_synthia_label(path: Path, ids: np.ndarray) -> None:
    """A 16-bit 3-channel PNG as the release's GT/LABELS: class id in R, instance id in G."""
    path.parent.mkdir(parents=True, exist_ok=True)
    instance = (np.arange(ids.size).reshape(ids.shape) % 7).astype(np.uint16)
    bgr = np.stack([np.zeros_like(ids), instance, ids], axis=-1).astype(np.uint16)
    cv2.imwrite(str(path), bgr)  # cv2 writes B, G, R: R is the class id


def make_synthia_seq_tree(root: Path, size=SYNTHIA_SIZE) -> Path:
    """``RGB/Stereo_Left/Omni_F`` and ``GT/LABELS/Stereo_Left/Omni_F`` frames 000000..000003 of
    SEQS-04-DAWN and ``<root>/lists/train.txt`` (000001..000003). Returns the list path."""
    for frame in range(SYNTHIA_FRAMES):
        path = root / 'RGB' / 'Stereo_Left' / 'Omni_F' / f'{frame:06d}.png'
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), synthia_frame(frame, size))
        write_synthia_label(root / 'GT' / 'LABELS' / 'Stereo_Left' / 'Omni_F' / f'{frame:06d}.png',
                            synthia_raw_ids(frame, size))
    return write_list(root / 'lists' / 'train.txt',
                      [f'{frame:06d}.png' for frame in range(1, SYNTHIA_FRAMES)],
                      trailing_newline=False)
