"""Helpers of the adaptor tests: learnable in-memory clip batches and adaptors built from configs."""
import copy
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from uda_toolbox.registry import MODELS

# One colour per class: labels are learnable from the pixels, so a few steps lower the loss.
PALETTE = torch.tensor([[220, 40, 40], [40, 200, 60], [50, 60, 210], [200, 200, 40]])


def make_clip_batch(n=2, t=2, h=32, w=64, labelled=True, seed=0, shift=0):
    """A ``pseudo_collate``-style clip batch: colour blobs per class (+ noise), uint8.

    ``shift`` changes the colours (a domain shift for the target batch).
    """
    g = torch.Generator().manual_seed(seed)
    coarse = torch.randint(0, len(PALETTE), (n, t, h // 8, w // 8), generator=g)
    labels = coarse.repeat_interleave(8, dim=2).repeat_interleave(8, dim=3)
    colours = (PALETTE[labels] + shift).float()  # (n, t, h, w, 3)
    noise = torch.randn(colours.shape, generator=g) * 20
    frames = (colours + noise).clamp(0, 255).to(torch.uint8).permute(0, 1, 4, 2, 3)
    gt = labels.to(torch.uint8) if labelled else torch.full_like(labels, 255, dtype=torch.uint8)
    return dict(inputs=list(frames), gt_seg=list(gt),
                meta=dict(clip_id=['000'] * n, frame_ids=[[0, 1]] * n, img_paths=[[]] * n))


def make_uda_batch(seed=0):
    return dict(source=make_clip_batch(seed=seed),
                target=make_clip_batch(labelled=False, seed=seed + 100, shift=-30))


def build_from_config(config_path, **model_options):
    """(adaptor, optim wrapper) from a repo config, ``model_options`` merged into ``model``."""
    cfg = Config.fromfile(str(config_path))
    if model_options:
        cfg.merge_from_dict({f'model.{k}': v for k, v in model_options.items()})
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    return model, build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))


#: The tiny model bases an embedded config may name; swap_model_base replaces any of them.
TINY_MODEL_BASES = {Path(__file__).resolve().parents[2] / 'configs/_base_/models' / name
                    for name in ('tiny_deeplabv2.py', 'tiny_mit.py', 'tiny_daformer.py')}
BASE_LIST = re.compile(r'^_base_\s*=\s*(\[.*?\]|[\'"][^\'"]+[\'"])', re.S | re.M)


def swap_model_base(config: Path, model_base: Path, out_dir: Path) -> Path:
    """A copy of ``config`` whose model ``_base_`` is ``model_base`` (a two-frame base: its two-frame
    counterpart, ``two_frame_<model_base>``); configs it inherits from (other than ``_base_/`` files)
    are copied the same way. Every other line is unchanged."""
    text = config.read_text()
    match = BASE_LIST.search(text)
    assert match, config
    bases = re.findall(r'[\'"]([^\'"]+)[\'"]', match.group(1))
    swapped = []
    for base in bases:
        path = (config.parent / base).resolve()
        if path in TINY_MODEL_BASES:
            path = model_base
        elif path.parent.name == 'models' and path.name.startswith('two_frame_tiny_'):
            path = model_base.parent / f'two_frame_{model_base.name}'  # DA-VSN, TPS
        elif '_base_' not in path.parts:
            path = swap_model_base(path, model_base, out_dir)
        swapped.append(str(path))
    out = out_dir / f'{config.parent.name}_{config.name}'
    out.write_text(text[:match.start()] + f'_base_ = {swapped!r}' + text[match.end():])
    return out


@pytest.fixture(autouse=True)
def _one_thread():
    """These steps are tiny: one thread is fastest, and 2 threads on 2 busy cores can be 20x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def clip_batch():
    return make_clip_batch


@pytest.fixture
def uda_batch():
    return make_uda_batch


@pytest.fixture
def adaptor_from_config(repo_root):
    def build(config, **model_options):
        return build_from_config(repo_root / config, **model_options)
    return build


@pytest.fixture
def train_iters():
    """Run ``n`` train steps over two alternating batches; returns the log_vars of each."""
    def run(model, optim_wrapper, n=20):
        batches = [make_uda_batch(seed=0), make_uda_batch(seed=1)]
        model.train()
        return [model.train_step(batches[i % 2], optim_wrapper) for i in range(n)]
    return run


def check_learns(logs, key='loss_seg_src'):
    """Every logged value finite and the segmentation loss clearly lower at the end."""
    for log in logs:
        for name, value in log.items():
            assert torch.isfinite(torch.as_tensor(value)).all(), (name, value)
    values = [float(log[key]) for log in logs]
    first, last = sum(values[:4]) / 4, sum(values[-4:]) / 4
    assert last < 0.8 * first, values


@pytest.fixture
def assert_learns():
    return check_learns
