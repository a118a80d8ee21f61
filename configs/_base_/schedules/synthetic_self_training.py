# Schedule of the self-training phase on the embedded pair (CBST, CRST, IAST, VST and their
# ablations): it continues from a warm-up checkpoint (source-only or adversarial, `load_from`)
# for half the warm-up's iterations, with a pseudo-label round before iterations 1 and 41.
# Shin et al. (2021) and IAST also run self-training as a shorter second phase after the warm-up;
# the length here is set by the 15-minute budget of `make demo` (docs/benchmarks.md).
_base_ = ['./synthetic.py']
max_iters = 80
round_interval = 40  # PseudoLabelHook.interval: iterations between pseudo-label rounds
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
