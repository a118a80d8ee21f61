"""The library behind the tools (the idea of ``mmseg.apis``): configs, runners, checkpoints and
clear errors. ``tools/*.py`` are thin scripts over it; notebooks and other programs use it too."""
from .checkpoints import check_load_from, last_checkpoint_pointer, latest_checkpoint
from .config import (
    apply_cfg_options,
    build_test_config,
    build_train_config,
    default_work_dir,
    ensure_runtime_hooks,
    finish_config,
    load_config,
    substitute_work_dir,
)
from .errors import check_work_dir, explain_unknown_type, run_with_clear_errors, worker_message
from .runner import build_runner

__all__ = ['apply_cfg_options', 'build_runner', 'build_test_config', 'build_train_config', 'check_load_from',
           'check_work_dir', 'default_work_dir', 'ensure_runtime_hooks', 'explain_unknown_type',
           'finish_config', 'last_checkpoint_pointer', 'latest_checkpoint', 'load_config',
           'run_with_clear_errors', 'substitute_work_dir', 'worker_message']
