# Runtime shared by every config (mmseg 1.x habits).
default_scope = 'uda_toolbox'
env_cfg = dict(
    # True lets cuDNN pick the fastest convolution algorithms for fixed input sizes (GPU runs
    # with a fixed crop; docs/distributed.md); off by default: results stay reproducible.
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # NCCL for GPUs; CPU runs (tools/dist_train.sh without CUDA) start gloo themselves.
    dist_cfg=dict(backend='nccl'),
)
# Multi-GPU / multi-node training (tools/dist_train.sh, docs/distributed.md): one DDP wrapper per
# module an adaptor trains (segmentor, each discriminator), so every adaptor, adversarial ones
# included, trains through its own train_step with no unused parameters.
model_wrapper_cfg = dict(
    type='AdaptorDistributedDataParallel', broadcast_buffers=False, find_unused_parameters=False)
# 'torch' turns every BatchNorm into SyncBatchNorm in distributed runs (statistics over the global
# batch: advised for real runs with a few clips per GPU); None keeps per-GPU statistics.
sync_bn = None
# Mixed precision: tools/train.py --amp, or optim_wrapper.type='AmpOptimWrapper' (CUDA only;
# MultiOptimWrapperConstructor applies it to the segmentor and discriminator optimizers alike).
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
# Initial weights of a run (mmengine's load_from). Besides a .pth file it may name a run's work dir
# or the config that trains it (e.g. 'configs/source_only/synthetic.py'): the tools and
# uda_toolbox.apis.build_runner take that run's latest checkpoint (apis.resolve_load_from).
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
# NaNLossHook stops at the first NaN/inf loss, naming the iteration and the term; RNGStateHook
# saves the random generators with every checkpoint so --resume continues them exactly
# (docs/troubleshooting.md). A config that sets its own custom_hooks keeps both (tools/train.py
# adds them back); check_finite_loss = False turns the NaN check off.
check_finite_loss = True
custom_hooks = [dict(type='NaNLossHook'), dict(type='RNGStateHook')]
