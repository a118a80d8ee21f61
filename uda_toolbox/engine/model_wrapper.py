"""Data-parallel training of adaptors: one DistributedDataParallel per module an adaptor trains.

mmengine's ``MMDistributedDataParallel`` trains a model through ``forward(mode='loss')`` inside
one DDP wrapper; adaptors train through their own ``train_step`` (two optimizer steps for the
adversarial ones), so that does not fit. ``MMSeparateDistributedDataParallel`` (mmagic's GANs)
calls the model's ``train_step`` and wraps each child in its own DDP, but puts the wrappers in
place of the children, which breaks attribute access (``segmentor.decode_head``) and leaves no
forward that returns what the adaptors compute. This wrapper keeps its calling convention and
lets the adaptor name the modules to wrap (``ddp_modules``); the adaptor keeps its plain
children and routes its training forwards through the wrappers (``attach_ddp``).
docs/distributed.md.
"""
from contextlib import ExitStack, contextmanager
from typing import Dict

import torch
import torch.nn as nn
from mmengine.device import get_device
from mmengine.model import MMDistributedDataParallel, MMSeparateDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS
from torch.nn.parallel import DistributedDataParallel


# The runner looks model wrappers up in mmengine's root registry by name (no scope), so the
# toolbox's wrapper is registered there.
@MODEL_WRAPPERS.register_module()
class AdaptorDistributedDataParallel(MMSeparateDistributedDataParallel):
    """Distributed data parallel for adaptors (the default ``model_wrapper_cfg``).

    ``train_step``, ``val_step`` and ``test_step`` call the adaptor's own (inherited from
    ``MMSeparateDistributedDataParallel``). Each module the adaptor lists in ``ddp_modules()``
    (the segmentor's forward, each discriminator) gets its own ``MMDistributedDataParallel``,
    handed back with ``attach_ddp()``: the segmentor step synchronises only the segmentor's
    gradients, the discriminator step only the discriminators', so no parameter is ever unused
    in a step and no discriminator gradient reaches the segmentor's reduction.

    Args:
        module: The adaptor (any model with ``ddp_modules()`` and ``attach_ddp()``).
        broadcast_buffers: As DDP; False (as mmseg): BatchNorm statistics stay per process
            (use ``sync_bn='torch'`` to share them); checkpoints hold rank 0's.
        find_unused_parameters: As DDP; False: every trainable parameter of a wrapped module
            must get a gradient in each step that runs it.
        **kwargs: Other ``DistributedDataParallel`` arguments; the runner's ``device_ids`` is
            dropped on CPU (gloo), where DDP takes none.
    """

    def __init__(self, module: nn.Module, broadcast_buffers: bool = False,
                 find_unused_parameters: bool = False, **kwargs):
        # As MMSeparateDistributedDataParallel: the DDP state lives in the per-module wrappers.
        super(DistributedDataParallel, self).__init__()
        missing = [name for name in ('ddp_modules', 'attach_ddp') if not hasattr(module, name)]
        if missing:
            raise TypeError(f'AdaptorDistributedDataParallel wraps adaptors (BaseAdaptor); '
                            f'{type(module).__name__} has no {missing}. For other models set '
                            "model_wrapper_cfg=dict(type='MMDistributedDataParallel').")
        device = torch.device(get_device())
        self.module = module.to(device)
        if device.type == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        modules = module.ddp_modules()
        covered = {id(p) for sub in modules.values() for p in sub.parameters()}
        uncovered = [n for n, p in module.named_parameters() if p.requires_grad and id(p) not in covered]
        if uncovered:
            raise ValueError(f'{type(module).__name__}.ddp_modules() leaves {len(uncovered)} trainable '
                             f'parameters unsynchronised (first: {uncovered[0]}): every process would '
                             'train its own copy. Add their module to ddp_modules().')
        self._wrapped: Dict[str, nn.Module] = {
            name: MMDistributedDataParallel(sub, broadcast_buffers=broadcast_buffers,
                                            find_unused_parameters=find_unused_parameters, **kwargs)
            for name, sub in modules.items() if any(p.requires_grad for p in sub.parameters())
        }
        module.attach_ddp(self._wrapped)

    @contextmanager
    def no_sync(self):
        """``no_sync`` of every per-module wrapper (gradient accumulation)."""
        with ExitStack() as stack:
            for wrapper in self._wrapped.values():
                stack.enter_context(wrapper.no_sync())
            yield
