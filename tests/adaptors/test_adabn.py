import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper

CONFIG = 'configs/adabn/synthetic.py'


def _first_bn(model):
    return model.segmentor.backbone.layers[0].bn


def _first_conv_stats(model, frames):
    """Batch mean / unbiased variance of the first conv's output (the first BN's input)."""
    conv = model.segmentor.backbone.layers[0].conv
    with torch.no_grad():
        out = conv(frames.flatten(0, 1))
    return out.mean((0, 2, 3)), out.transpose(0, 1).flatten(1).var(1, unbiased=True)


def test_running_stats_are_the_cumulative_average_over_target_batches(adaptor_from_config,
                                                                      uda_batch):
    model, optim = adaptor_from_config(CONFIG)
    assert isinstance(optim, OptimWrapper)
    bn = _first_bn(model)
    assert bn.momentum is None
    bn.running_mean.fill_(100.0)  # "source" statistics: discarded at the first step
    weights = {n: p.detach().clone() for n, p in model.named_parameters()}
    model.train()
    means, variances = [], []
    for seed in range(3):
        batch = uda_batch(seed=seed)
        log_vars = model.train_step(batch, optim)
        frames = model.data_preprocessor(batch, True)['target']['inputs']
        mean, var = _first_conv_stats(model, frames)
        means.append(mean)
        variances.append(var)
    assert float(log_vars['bn_batches']) == 3 and int(bn.num_batches_tracked) == 3
    assert torch.allclose(bn.running_mean, torch.stack(means).mean(0), atol=1e-4)
    assert torch.allclose(bn.running_var, torch.stack(variances).mean(0), rtol=1e-4, atol=1e-4)
    assert all(torch.equal(weights[n], p) for n, p in model.named_parameters())


def test_only_target_frames_count(adaptor_from_config, uda_batch):
    stats = []
    for source_seed in (0, 5):
        model, optim = adaptor_from_config(CONFIG)
        batch = uda_batch(seed=0)
        batch['source'] = uda_batch(seed=source_seed)['source']
        model.train()
        model.train_step(batch, optim)
        stats.append(_first_bn(model).running_mean.clone())
    assert torch.equal(stats[0], stats[1])


def test_resumed_run_keeps_averaging(adaptor_from_config, uda_batch):
    model, optim = adaptor_from_config(CONFIG)
    model.train()
    model.train_step(uda_batch(seed=0), optim)
    state = model.state_dict()
    assert bool(state['bn_restarted'])
    resumed, optim2 = adaptor_from_config(CONFIG)
    resumed.load_state_dict(state)
    resumed.train()
    resumed.train_step(uda_batch(seed=1), optim2)
    assert int(_first_bn(resumed).num_batches_tracked) == 2  # not reset to 1
    first, _ = _first_conv_stats(resumed, resumed.data_preprocessor(uda_batch(seed=0), True)
                                 ['target']['inputs'])
    second, _ = _first_conv_stats(resumed, resumed.data_preprocessor(uda_batch(seed=1), True)
                                  ['target']['inputs'])
    assert torch.allclose(_first_bn(resumed).running_mean, (first + second) / 2, atol=1e-4)
    assert F.mse_loss(first, second) > 0  # two different batches, a real average
