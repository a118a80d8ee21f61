"""Process-group helpers for distributed runs (torchrun + mmengine ``launcher='pytorch'``)."""
import torch
import torch.distributed as torch_dist
import torch.nn as nn
from mmengine.dist import broadcast, is_distributed


def init_cpu_process_group(launcher: str) -> bool:
    """Start the gloo process group of a ``--launcher pytorch`` run on a machine without CUDA.

    mmengine's pytorch launcher selects a CUDA device before it starts the process group, which
    fails without one; the runner keeps a group that already exists, so CPU runs (CI, debugging)
    start it here, from torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).

    Returns:
        Whether a group was started (False with CUDA, another launcher, or one already running).
    """
    if launcher != 'pytorch' or torch.cuda.is_available() or torch_dist.is_initialized():
        return False
    torch_dist.init_process_group(backend='gloo')
    return True


@torch.no_grad()
def broadcast_model_state(model: nn.Module, src: int = 0) -> None:
    """Copy the parameters and buffers of process ``src`` into every process's ``model``.

    DDP keeps the parameters equal, but BatchNorm statistics stay per process (no SyncBN); before
    every process predicts with its copy (a sharded pseudo-label round), they are made rank 0's,
    the weights its checkpoints hold.
    """
    if not is_distributed():
        return
    for tensor in list(model.parameters()) + list(model.buffers()):
        broadcast(tensor.data, src=src)
