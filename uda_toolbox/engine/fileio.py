"""A local file backend whose writes are atomic, for checkpoints.

mmengine's ``LocalBackend.put`` opens the final path and writes into it, so a job killed
while saving leaves a truncated ``iter_N.pth``. This backend writes to a temporary file in
the same directory and renames it onto the final name (``uda_toolbox.utils.io.atomic_write``),
so a checkpoint on disk is always complete. Configs select it with
``default_hooks.checkpoint.backend_args=dict(backend='atomic_local')``.
"""
from pathlib import Path
from typing import Union

from mmengine.fileio import register_backend
from mmengine.fileio.backends import LocalBackend

from uda_toolbox.utils.io import atomic_write


class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` with atomic ``put`` / ``put_text`` (temp file, then rename)."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        with atomic_write(filepath) as tmp:
            tmp.write_bytes(obj)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        with atomic_write(filepath) as tmp:
            tmp.write_text(obj, encoding=encoding)


register_backend('atomic_local', AtomicLocalBackend, force=True)
