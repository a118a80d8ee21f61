"""Training-loop pieces: hooks and the atomic checkpoint file backend."""
from .fileio import AtomicLocalBackend  # noqa: F401  (registers backend "atomic_local")
from .hooks import PseudoLabelHook  # noqa: F401  (registers the hook in HOOKS)
