"""The library behind the tools (the idea of ``mmseg.apis``): configs, runners, checkpoints, clear
errors, inference, the benchmark runner and the analyses. ``tools/*.py`` are thin scripts over
it; notebooks and other programs use it too. The visualiser is ``uda_toolbox.apis.visualize``."""
from .benchmark import run_benchmark
from .checkpoints import (
    check_load_from,
    checkpoint_candidates,
    convert_backbone_checkpoint,
    last_checkpoint_pointer,
    latest_checkpoint,
    load_test_checkpoint,
    require_checkpoint,
    segmentor_weight_mismatch,
)
from .config import (
    apply_cfg_options,
    build_test_config,
    build_train_config,
    check_cfg_options,
    check_source_free,
    config_description,
    default_work_dir,
    ensure_runtime_hooks,
    expand_cfg_shortcuts,
    finish_config,
    load_config,
    source_dataset_keys,
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
from .inference import init_adaptor, predict_frames
from .launch import add_run_args, parse_run_args, start_run
from .runner import build_runner, work_dir_lock

__all__ = ['ConfigError', 'WorkDirLockedError', 'add_run_args', 'apply_cfg_options',
           'build_runner', 'build_test_config', 'build_train_config', 'check_cfg_options',
           'check_config', 'check_load_from', 'check_source_free', 'check_work_dir',
           'checkpoint_candidates', 'config_description', 'config_problems',
           'convert_backbone_checkpoint', 'default_work_dir', 'ensure_runtime_hooks',
           'expand_cfg_shortcuts', 'explain_unknown_type', 'finish_config', 'init_adaptor',
           'last_checkpoint_pointer', 'latest_checkpoint', 'load_config', 'load_test_checkpoint',
           'parse_run_args', 'predict_frames', 'require_checkpoint', 'run_benchmark',
           'run_with_clear_errors', 'segmentor_weight_mismatch', 'source_dataset_keys', 'start_run',
           'substitute_work_dir', 'work_dir_lock', 'worker_message']
