"""AdaptorDistributedDataParallel in one process (gloo, world size 1): every adaptor trains through
its own DDP wrappers with no unused parameter, to exactly the weights it reaches without DDP; the
runtime defaults and the AMP optimizer wrappers built from configs."""
import copy

import mmengine.optim.optimizer.amp_optimizer_wrapper as amp_wrapper
import pytest
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict, build_optim_wrapper

from uda_toolbox.engine import AdaptorDistributedDataParallel
from uda_toolbox.registry import MODELS

ADVERSARIAL = ['configs/adaptsegnet/synthetic.py', 'configs/adaptsegnet/synthetic_multi_level.py',
               'configs/advent/synthetic.py', 'configs/vat/synthetic.py',
               'configs/vat/synthetic_model2.py', 'configs/vat/synthetic_model3.py',
               'configs/vat/synthetic_model4.py']
SINGLE = ['configs/source_only/synthetic.py', 'configs/oracle/synthetic.py', 'configs/adabn/synthetic.py',
          'configs/minent/synthetic.py', 'configs/cbst/synthetic.py', 'configs/crst/synthetic.py',
          'configs/crst/synthetic_lrent.py', 'configs/iast/synthetic.py', 'configs/vst/synthetic.py',
          'configs/vst/synthetic_table6_fillin.py']


@pytest.fixture(scope='module')
def process_group(tmp_path_factory):
    """A gloo group of one process: DDP's reducer runs (and fails on unused parameters) as in a
    multi-process run."""
    assert not torch_dist.is_initialized()
    init_file = tmp_path_factory.mktemp('process_group') / 'init'
    torch_dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=0, world_size=1)
    yield
    torch_dist.destroy_process_group()


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def clip_batch(seed: int, labelled: bool = True, n: int = 2, t: int = 2, h: int = 32, w: int = 64):
    """A ``pseudo_collate``-style clip batch with learnable labels (colour blocks) and static flow."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (n, t, h // 8, w // 8), generator=g)
    labels = labels.repeat_interleave(8, dim=2).repeat_interleave(8, dim=3)
    frames = (labels[:, :, None] * 60 + torch.randint(0, 30, (n, t, 3, h, w), generator=g))
    gt = labels if labelled else torch.full_like(labels, 255)
    # Soft labels (CRST's LR-ENT): the hard label with weight 1 (second class 0).
    soft = torch.stack([gt, torch.zeros_like(gt), torch.full_like(gt, 255)], dim=-1)
    return dict(inputs=list(frames.to(torch.uint8)), gt_seg=list(gt.to(torch.uint8)),
                gt_soft=list(soft.to(torch.uint8)),
                flows=[torch.zeros(t - 1, 2, h, w)] * n, flows_fw=[torch.zeros(t - 1, 2, h, w)] * n,
                meta=dict(clip_id=['000'] * n, frame_ids=[[0, 1]] * n, img_paths=[[]] * n))


def uda_batch(seed: int) -> dict:
    return dict(source=clip_batch(seed), target=clip_batch(seed + 100))


def build(repo_root, config, **model_options):
    cfg = Config.fromfile(str(repo_root / config))
    cfg.merge_from_dict({f'model.{k}': v for k, v in model_options.items()})
    torch.manual_seed(0)
    return MODELS.build(copy.deepcopy(cfg.model)), cfg


def train_two_steps(model, optim_wrapper):
    model.train()
    return [model.train_step(uda_batch(seed), optim_wrapper) for seed in (0, 1)]


@pytest.mark.parametrize('config', ADVERSARIAL + SINGLE)
def test_every_adaptor_trains_under_ddp_as_in_one_process(process_group, repo_root, config):
    options = dict(target_bn=True) if 'source_only' in config else {}
    plain, cfg = build(repo_root, config, **options)
    model, _ = build(repo_root, config, **options)
    ddp = AdaptorDistributedDataParallel(model)
    expected = {'segmentor'} | {f'discriminator.{n}' for n in getattr(model, 'discriminator', {})}
    assert set(model._ddp) == expected
    # Built after wrapping, as the runner does; the adaptor's state dict keeps its plain keys.
    optim = build_optim_wrapper(ddp, copy.deepcopy(cfg.optim_wrapper))
    assert list(model.state_dict()) == list(plain.state_dict())

    # Two steps: DDP fails at the second forward when a parameter got no gradient in the first.
    logs = train_two_steps(ddp, optim)
    train_two_steps(plain, build_optim_wrapper(plain, copy.deepcopy(cfg.optim_wrapper)))
    assert all(torch.isfinite(torch.as_tensor(v)).all() for log in logs for v in log.values())
    before = build(repo_root, config, **options)[0].state_dict()
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert changed, 'nothing trained'
    for (name, value), (_, reference) in zip(model.state_dict().items(), plain.state_dict().items()):
        assert torch.equal(value, reference), name


SOURCE_FREE = ['configs/shot/synthetic.py', 'configs/urma/synthetic.py', 'configs/hcl/synthetic.py',
               'configs/stpl/synthetic.py']


@pytest.mark.parametrize('config', SOURCE_FREE)
def test_source_free_adaptors_train_under_ddp_as_in_one_process(process_group, repo_root, config):
    """Target-only batches; the method's own heads (projection head, URMA's decoders) are inside
    the segmentor's DDP wrapper; random draws (views, anchors, dropout) seeded alike."""
    options = dict(confidence_threshold=None) if 'stpl' in config else {}
    plain, cfg = build(repo_root, config, **options)
    model, _ = build(repo_root, config, **options)
    ddp = AdaptorDistributedDataParallel(model)
    assert set(model._ddp) == {'segmentor'}
    optim = build_optim_wrapper(ddp, copy.deepcopy(cfg.optim_wrapper))

    def two_steps(adaptor, wrapper):
        torch.manual_seed(1)
        adaptor.train()
        # labelled target clips: URMA reads them as a round's pseudo labels, the others ignore them
        return [adaptor.train_step(dict(target=clip_batch(seed)), wrapper) for seed in (0, 1)]

    logs = two_steps(ddp, optim)
    two_steps(plain, build_optim_wrapper(plain, copy.deepcopy(cfg.optim_wrapper)))
    assert all(torch.isfinite(torch.as_tensor(v)).all() for log in logs for v in log.values())
    for (name, value), (_, reference) in zip(model.state_dict().items(), plain.state_dict().items()):
        assert torch.equal(value, reference), name


@pytest.mark.parametrize('config', ['configs/dacs/synthetic.py', 'configs/mic/synthetic.py'])
def test_teacher_adaptors_train_under_ddp_as_in_one_process(process_group, repo_root, config):
    """Three student forwards per step (source, mixed, masked) through one DDP wrapper, the teacher
    outside it; the random draws (ClassMix, jitter, masks, dropout) from the same seed."""
    plain, cfg = build(repo_root, config)
    model, _ = build(repo_root, config)
    ddp = AdaptorDistributedDataParallel(model)
    assert set(model._ddp) == {'segmentor'}  # the teacher is never wrapped: it gets no gradient
    optim = build_optim_wrapper(ddp, copy.deepcopy(cfg.optim_wrapper))
    torch.manual_seed(7)
    logs = train_two_steps(ddp, optim)
    torch.manual_seed(7)
    train_two_steps(plain, build_optim_wrapper(plain, copy.deepcopy(cfg.optim_wrapper)))
    assert all(torch.isfinite(torch.as_tensor(v)).all() for log in logs for v in log.values())
    for (name, value), (_, reference) in zip(model.state_dict().items(), plain.state_dict().items()):
        assert torch.equal(value, reference), name


def test_discriminator_step_gives_the_segmentor_no_gradient(process_group, repo_root):
    model, cfg = build(repo_root, 'configs/vat/synthetic.py')
    ddp = AdaptorDistributedDataParallel(model)
    optim = build_optim_wrapper(ddp, copy.deepcopy(cfg.optim_wrapper))
    data = model.data_preprocessor(uda_batch(0), True)
    _, disc_inputs = model.train_segmentor(data['source'], data['target'], optim['segmentor'])
    assert all(p.grad is None for p in model.discriminator.parameters())
    seg_before = {n: p.detach().clone() for n, p in model.segmentor.named_parameters()}
    model.train_discriminator(disc_inputs, optim['discriminator'])
    assert all(p.grad is None for p in model.segmentor.parameters())
    assert all(torch.equal(p, seg_before[n]) for n, p in model.segmentor.named_parameters())


def test_unused_parameters_are_caught(process_group, repo_root):
    """An auxiliary head that no loss uses leaves parameters without gradient: DDP says so."""
    aux = Config.fromfile(str(repo_root / 'configs/adaptsegnet/synthetic_multi_level.py'))
    model, cfg = build(repo_root, 'configs/source_only/synthetic.py',
                       **{'segmentor.auxiliary_head': aux.model.segmentor.auxiliary_head})
    ddp = AdaptorDistributedDataParallel(model)
    with pytest.raises(RuntimeError, match='finished reduction'):
        train_two_steps(ddp, build_optim_wrapper(ddp, copy.deepcopy(cfg.optim_wrapper)))


def test_wrapper_needs_an_adaptor():
    with pytest.raises(TypeError, match='MMDistributedDataParallel'):
        AdaptorDistributedDataParallel(torch.nn.Linear(2, 2))


def test_runtime_defaults(repo_root):
    cfg = Config.fromfile(str(repo_root / 'configs/vat/viper2cityscapes.py'))
    assert cfg.model_wrapper_cfg.type == 'AdaptorDistributedDataParallel'
    assert cfg.model_wrapper_cfg.find_unused_parameters is False
    assert cfg.sync_bn is None and cfg.env_cfg.cudnn_benchmark is False


@pytest.mark.parametrize('config', ['configs/vat/synthetic.py', 'configs/source_only/synthetic.py'])
def test_amp_optim_wrappers_from_config(repo_root, monkeypatch, config):
    """What tools/train.py --amp sets builds AmpOptimWrappers (every entry of an adversarial
    OptimWrapperDict); on CPU, mmengine's CUDA check is bypassed and autocast runs in bfloat16."""
    monkeypatch.setattr(amp_wrapper, 'is_cuda_available', lambda: True)
    model, cfg = build(repo_root, config)
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    wrappers = list(optim.values()) if isinstance(optim, OptimWrapperDict) else [optim]
    assert len(wrappers) == (2 if 'vat' in config else 1)
    assert all(isinstance(w, AmpOptimWrapper) for w in wrappers)
    before = {n: p.detach().clone() for n, p in model.segmentor.named_parameters()}
    log = model.train_step(uda_batch(0), optim)
    assert torch.isfinite(log['loss'].float())
    assert all(not torch.equal(p, before[n]) for n, p in model.segmentor.named_parameters())
