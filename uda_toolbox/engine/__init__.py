"""Training-loop pieces: hooks, the atomic checkpoint file backend, the multi-optimizer
constructor, parameter schedulers and the data-parallel wrapper of adaptors."""
from .dist import broadcast_model_state, init_cpu_process_group  # noqa: F401
from .fileio import AtomicLocalBackend  # noqa: F401  (registers backend "atomic_local")
from .hooks import PseudoLabelHook  # noqa: F401  (registers the hook in HOOKS)
from .model_wrapper import AdaptorDistributedDataParallel  # noqa: F401  (in MODEL_WRAPPERS)
from .optimizers import MultiOptimWrapperConstructor  # noqa: F401  (registers the constructor)
from .schedulers import PolyLRWithFixedGroups  # noqa: F401  (registers the scheduler)
