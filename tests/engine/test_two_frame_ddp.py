"""DA-VSN and TPS under AdaptorDistributedDataParallel (gloo, world size 1): their pair forward is
what DDP wraps, no parameter is left without gradient, and the weights equal a run without DDP."""
import copy
import os.path as osp
import sys

import pytest
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from uda_toolbox.engine import AdaptorDistributedDataParallel
from uda_toolbox.registry import MODELS

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'adaptors'))
from two_frame_batches import make_two_frame_batch  # noqa: E402


@pytest.fixture(scope='module')
def process_group(tmp_path_factory):
    assert not torch_dist.is_initialized()
    init_file = tmp_path_factory.mktemp('process_group') / 'init'
    torch_dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=0, world_size=1)
    yield
    torch_dist.destroy_process_group()


@pytest.mark.parametrize('config, target_frames', [('configs/da_vsn/synthetic.py', 2),
                                                   ('configs/tps/synthetic.py', 3)])
def test_two_frame_adaptor_trains_under_ddp_as_in_one_process(process_group, repo_root, config,
                                                              target_frames):
    cfg = Config.fromfile(str(repo_root / config))
    torch.set_num_threads(1)

    def build():
        torch.manual_seed(0)
        return MODELS.build(copy.deepcopy(cfg.model))

    plain, model = build(), build()
    ddp = AdaptorDistributedDataParallel(model)
    assert type(model._ddp['segmentor'].module).__name__ == 'PairForward'
    runs = [(ddp, build_optim_wrapper(ddp, copy.deepcopy(cfg.optim_wrapper))),
            (plain, build_optim_wrapper(plain, copy.deepcopy(cfg.optim_wrapper)))]
    for wrapped, optim in runs:
        wrapped.train()
        for seed in (0, 1):  # DDP fails at the second forward if a parameter had no gradient
            torch.manual_seed(seed)  # TPS's augmentation draws
            wrapped.train_step(make_two_frame_batch(target_frames=target_frames, seed=seed), optim)
    for (name, value), reference in zip(model.state_dict().items(), plain.state_dict().values()):
        assert torch.equal(value, reference), name
