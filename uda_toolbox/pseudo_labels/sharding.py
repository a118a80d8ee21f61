"""Collective steps of a pseudo-label round sharded over the processes of a distributed run.

Thin wrappers of ``mmengine.dist`` (which moves data to the backend's device: CPU for gloo,
CUDA for NCCL) plus the agreement step that keeps every process's collective calls aligned when
one of them fails. In one process every function is the identity or a no-op.
"""
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine import dist


def dist_info() -> Tuple[int, int]:
    """(rank, world size) of the default process group; (0, 1) without one."""
    return dist.get_dist_info()


def all_reduce_array(array: np.ndarray, op: str = 'sum') -> np.ndarray:
    """Element-wise ``op`` ('sum' or 'max') of an integer array over every process."""
    if dist_info()[1] == 1:
        return array
    tensor = torch.from_numpy(np.ascontiguousarray(array, dtype=np.int64).copy())
    dist.all_reduce(tensor, op=op)
    return tensor.numpy()


def broadcast_object(obj: Any, src: int) -> Any:
    """Process ``src``'s ``obj`` in every process (picklable objects)."""
    if dist_info()[1] == 1:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def gather_objects(obj: Any) -> List[Any]:
    """Every process's ``obj``, in rank order, in every process."""
    if dist_info()[1] == 1:
        return [obj]
    return dist.all_gather_object(obj)


def run_everywhere(fn: Callable[[], Any], what: str) -> Any:
    """Run ``fn`` (no collective calls inside) in every process, then agree that it succeeded.

    A process whose ``fn`` raised re-raises its error; the others raise a RuntimeError naming
    the failed ranks, instead of waiting forever in the next collective call.
    """
    rank, world = dist_info()
    error: Optional[BaseException] = None
    result = None
    try:
        result = fn()
    except Exception as exc:  # every process must reach the agreement below
        error = exc
    failed = np.zeros(world, np.int64)
    failed[rank] = error is not None
    failed = all_reduce_array(failed, 'sum')
    if error is not None:
        raise error
    if failed.any():
        raise RuntimeError(f'{what} failed on rank(s) {np.flatnonzero(failed).tolist()}; see the '
                           'log of that process for the error.')
    return result


def shard_ranges(sizes: Sequence[int], world: int) -> List[Tuple[int, int]]:
    """Contiguous ``[start, end)`` index ranges, one per rank, with about equal sums of ``sizes``
    (frames per clip): item i goes to the rank whose share holds the middle of its frames.
    Contiguous shards keep the single-process order: rank r's items all come before rank r+1's.
    """
    total = max(int(sum(sizes)), 1)
    owner, before = [], 0
    for size in sizes:
        owner.append(min(int((before + size / 2) * world // total), world - 1))
        before += size
    return [(sum(o < r for o in owner), sum(o <= r for o in owner)) for r in range(world)]
