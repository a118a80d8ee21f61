"""The library behind the tools (the idea of ``mmseg.apis``): configs, runners, checkpoints and
clear errors. ``tools/*.py`` are thin scripts over it; notebooks and other programs use it too."""
from .checkpoints import (
    check_load_from,
    checkpoint_candidates,
    last_checkpoint_pointer,
    latest_checkpoint,
    load_test_checkpoint,
    segmentor_weight_mismatch,
)
from .config import (
    apply_cfg_options,
    build_test_config,
    build_train_config,
    check_cfg_options,
    default_work_dir,
    ensure_runtime_hooks,
    finish_config,
    load_config,
    substitute_work_dir,
)
from .config_check import check_config, config_problems
from .errors import (
    ConfigError,
    WorkDirLockedError,
    check_work_dir,
    explain_unknown_type,
    run_with_clear_errors,
    worker_message,
)
from .runner import build_runner, work_dir_lock

__all__ = ['ConfigError', 'WorkDirLockedError', 'apply_cfg_options', 'build_runner',
           'build_test_config', 'build_train_config', 'check_cfg_options', 'check_config',
           'check_load_from', 'check_work_dir', 'checkpoint_candidates', 'config_problems',
           'default_work_dir', 'ensure_runtime_hooks', 'explain_unknown_type', 'finish_config',
           'last_checkpoint_pointer', 'latest_checkpoint', 'load_config', 'load_test_checkpoint',
           'run_with_clear_errors', 'segmentor_weight_mismatch', 'substitute_work_dir',
           'work_dir_lock', 'worker_message']
