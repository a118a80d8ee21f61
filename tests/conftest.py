import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# Two cores in CI: keep torch from oversubscribing when tests spawn subprocesses.
os.environ.setdefault('OMP_NUM_THREADS', '2')


@pytest.fixture(scope='session', autouse=True)
def _registered():
    """Register every module once, with uda_toolbox as the default scope."""
    from uda_toolbox import register_all_modules

    register_all_modules(init_default_scope=True)


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope='session')
def tiny_pair(tmp_path_factory) -> Path:
    """A tiny embedded pair (32x64, short clips) shared by the end-to-end tests."""
    from uda_toolbox.data_prep.synthetic import generate_synthetic_pair

    root = tmp_path_factory.mktemp('tiny_pair') / 'synthetic'
    generate_synthetic_pair(root, seed=0, height=32, width=64, num_source_clips=3,
                            num_target_train_clips=3, num_target_val_clips=2, clip_length=10,
                            annotation_interval=5)
    return root


@pytest.fixture(scope='session')
def untrained_checkpoint():
    """``write(config, out)``: the config's model with its initial weights (torch seed 0) saved
    as a checkpoint at ``out``, for tools that need one but not a trained model."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from uda_toolbox.registry import MODELS

    def write(config: Path, out: Path) -> Path:
        torch.manual_seed(0)
        with DefaultScope.overwrite_default_scope('uda_toolbox'):
            model = MODELS.build(Config.fromfile(str(config)).model)
        torch.save(dict(state_dict=model.state_dict(), meta=dict()), out)
        return out

    return write
