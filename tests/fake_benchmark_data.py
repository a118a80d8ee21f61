"""Tiny VIPER and Cityscapes-VPS trees in the official layouts, for tests (no real data here).

Frames encode where they come from so tests can check clip order: every pixel of a frame's
first (blue) channel is ``(10 * position + clip number) % 256``-ish (see the writers).
"""
import importlib.util
import os
from pathlib import Path
from typing import Dict, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from uda_toolbox.datasets.cityscapes_vps import CITYSCAPES_TRAIN_ID_COLORS
from uda_toolbox.datasets.viper import VIPER_NUM_IDS, VIPER_PALETTE

VIPER_SIZE = (24, 32)  # (H, W)
VPS_SIZE = (16, 32)
# sequence -> (condition, number of frames)
VIPER_SEQUENCES = {'001': ('day', 4), '002': ('night', 3), '003': ('day', 3)}


def viper_frame(seq: str, idx: int, size=VIPER_SIZE) -> np.ndarray:
    """BGR frame whose blue channel is 10 * frame + sequence number."""
    img = np.zeros((*size, 3), np.uint8)
    img[..., 0] = (10 * idx + int(seq)) % 256
    img[..., 1] = np.arange(size[1], dtype=np.uint8)[None, :] * 4
    img[..., 2] = 128
    return img


def viper_ids(seq: str, idx: int, size=VIPER_SIZE) -> np.ndarray:
    """VIPER class ids 0..31 covering every id, none at the bottom-centre pixel is a car."""
    h, w = size
    ids = ((np.arange(h)[:, None] * w + np.arange(w)[None, :] + int(seq) + idx) % VIPER_NUM_IDS)
    ids = ids.astype(np.uint8)
    ids[h - 1, w // 2] = 3  # road under the camera: no ego vehicle unless a test draws one
    return ids


def write_viper_label(path: Path, ids: np.ndarray) -> None:
    """An indexed (palette) PNG like VIPER's cls files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pil = Image.fromarray(ids, mode='P')
    palette = [c for rgb in VIPER_PALETTE for c in rgb]
    pil.putpalette(palette + [0] * (768 - len(palette)))
    pil.save(path)


def make_viper_tree(root: Path, split: str = 'train',
                    sequences: Dict[str, Tuple[str, int]] = None, ext: str = '.jpg',
                    conditions: bool = True, size=VIPER_SIZE) -> Path:
    """``<root>/<split>/img/SSS/SSS_FFFFF<ext>`` + indexed ``cls`` PNGs (+ conditions.csv)."""
    sequences = VIPER_SEQUENCES if sequences is None else sequences
    for seq, (_, count) in sequences.items():
        (root / split / 'img' / seq).mkdir(parents=True, exist_ok=True)
        for idx in range(count):
            cv2.imwrite(str(root / split / 'img' / seq / f'{seq}_{idx:05d}{ext}'),
                        viper_frame(seq, idx, size))
            write_viper_label(root / split / 'cls' / seq / f'{seq}_{idx:05d}.png',
                              viper_ids(seq, idx, size))
    if conditions:
        lines = ['split,sequence,condition'] + [f'{split},{seq},{cond}'
                                                for seq, (cond, _) in sequences.items()]
        (root / 'conditions.csv').write_text('\n'.join(lines) + '\n')
    return root


# ----------------------------------------------------------------------------- Cityscapes-VPS

CITIES = ('frankfurt', 'lindau', 'munster')
VPS_SPLITS = {'train': (1, 2), 'val': (5,)}  # clip (video) ids per split


def vps_clip(video: int) -> dict:
    """City, sequence and frame numbers of a fake clip; F20 = 100 * video + 19."""
    f20 = 100 * video + 19
    return dict(city=CITIES[video % len(CITIES)], seq=f'{video - 1:06d}', first=f20 - 19)


def vps_frame(video: int, pos: int, size=VPS_SIZE) -> np.ndarray:
    """BGR frame whose blue channel is 8 * position + video."""
    img = np.zeros((*size, 3), np.uint8)
    img[..., 0] = (8 * pos + video) % 256
    img[..., 1] = 60
    img[..., 2] = np.arange(size[0], dtype=np.uint8)[:, None] * 8
    return img


def vps_train_ids(video: int, pos: int, size=VPS_SIZE) -> np.ndarray:
    """Cityscapes trainIds covering 0..18 and 255."""
    h, w = size
    ids = ((np.arange(h)[:, None] * w + np.arange(w)[None, :] + video + pos) % 20).astype(np.uint8)
    ids[ids == 19] = 255
    return ids


def vps_annotated_name(video: int, k: int, suffix: str = None) -> str:
    """Name of the k-th (1..6) annotated frame of a clip, as the release names it."""
    clip = vps_clip(video)
    pos = 5 * k - 1
    kind = 'leftImg8bit' if pos == 19 else 'newImg8bit'
    stem = (f'{video:04d}_{(video - 1) * 6 + k:04d}_{clip["city"]}_{clip["seq"]}_'
            f'{clip["first"] + pos:06d}')
    if suffix is None:
        return f'{stem}_{kind}.png'
    label_kind = {'newImg8bit': 'final_mask', 'leftImg8bit': 'gtFine_color'}[kind]
    return f'{stem}_{label_kind}.png'


def make_vps_tree(root: Path, sequence_root: Path, splits: Dict[str, Sequence[int]] = None,
                  size=VPS_SIZE, colour_cls: bool = False, flow: bool = False) -> Tuple[Path, Path]:
    """Cityscapes-VPS ``<split>/img``, ``<split>/labelmap`` (+ ``val/img_all``) and the
    Cityscapes ``leftImg8bit_sequence/val/<city>/`` frames of every clip; with ``flow``, zero
    flow files ``train/flow/VVVV/VVVV_FFFFF_{bw,fw}.npy`` (the VST configs' flow cache)."""
    splits = VPS_SPLITS if splits is None else splits
    for split, videos in splits.items():
        for sub in ('img', 'labelmap') + (('cls',) if colour_cls else ()):
            (root / split / sub).mkdir(parents=True, exist_ok=True)
        if split == 'val':
            (root / split / 'img_all').mkdir(parents=True, exist_ok=True)
        for video in videos:
            clip = vps_clip(video)
            (sequence_root / clip['city']).mkdir(parents=True, exist_ok=True)
            for pos in range(30):
                name = f'{clip["city"]}_{clip["seq"]}_{clip["first"] + pos:06d}_leftImg8bit.png'
                cv2.imwrite(str(sequence_root / clip['city'] / name), vps_frame(video, pos, size))
                if split == 'val':
                    cv2.imwrite(str(root / split / 'img_all' / name), vps_frame(video, pos, size))
            if flow and split == 'train':
                flow_dir = root / split / 'flow' / f'{video:04d}'
                flow_dir.mkdir(parents=True, exist_ok=True)
                zero = np.zeros((*size, 2), np.float16)
                for pos in range(30):
                    if pos > 0:
                        np.save(flow_dir / f'{video:04d}_{pos:05d}_bw.npy', zero)
                    if pos < 29:
                        np.save(flow_dir / f'{video:04d}_{pos:05d}_fw.npy', zero)
            for k in range(1, 7):
                pos = 5 * k - 1
                cv2.imwrite(str(root / split / 'img' / vps_annotated_name(video, k)),
                            vps_frame(video, pos, size))
                ids = vps_train_ids(video, pos, size)
                Image.fromarray(ids, mode='L').save(
                    root / split / 'labelmap' / vps_annotated_name(video, k, suffix='label'))
                if colour_cls:
                    colours = np.zeros((*ids.shape, 3), np.uint8)
                    for train_id, rgb in enumerate(CITYSCAPES_TRAIN_ID_COLORS):
                        colours[ids == train_id] = rgb
                    Image.fromarray(colours, mode='RGB').save(
                        root / split / 'cls' / vps_annotated_name(video, k, suffix='label'))
    return root, sequence_root


def truncate(path: Path, keep: float = 0.5) -> None:
    """Cut a file to a fraction of its size (a partially written file)."""
    data = path.read_bytes()
    path.write_bytes(data[:max(1, int(len(data) * keep))])


def listing(root: Path) -> Dict[str, bytes]:
    """Relative path -> bytes of every file under ``root`` (to compare trees)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


_TOOLS = {}


def load_tool(name: str):
    """``tools/data/<name>.py`` as a module (loaded once), to call its functions in-process."""
    if name not in _TOOLS:
        path = Path(__file__).resolve().parents[1] / 'tools' / 'data' / f'{name}.py'
        spec = importlib.util.spec_from_file_location(f'uda_tools_data_{name}', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _TOOLS[name] = module
    return _TOOLS[name]
