"""The library behind the tools (the idea of ``mmseg.apis``): configs, runners, checkpoints, clear
errors, inference, the benchmark runner and the analyses. ``tools/*.py`` are thin scripts over
it; notebooks and other programs use it too (docs/python_api.md). The visualiser is
``uda_toolbox.apis.visualize``."""
from .benchmark import run_benchmark
from .checkpoints import (
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
    check_amp_device,
    check_cfg_options,
    check_load_from,
    check_source_free,
    config_description,
    default_work_dir,
    ensure_runtime_hooks,
    expand_cfg_shortcuts,
    find_config,
    finish_config,
    flip_tta_pipeline,
    load_config,
    merge_options,
    resolve_load_from,
    source_dataset_keys,
    substitute_work_dir,
    use_tta,
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
from .inference import (
    dataset_meta,
    export_segmentor,
    inference_clip,
    init_adaptor,
    predict_frames,
    segmentor_config,
)
from .launch import add_run_args, parse_run_args, start_run
from .readiness import Gap, check_ready, readiness_report
from .runner import build_runner, work_dir_lock
from .schedule import set_max_iters

__all__ = ['ConfigError', 'Gap', 'WorkDirLockedError', 'add_run_args', 'apply_cfg_options',
           'build_runner', 'build_test_config', 'build_train_config', 'check_amp_device',
           'check_cfg_options', 'check_config', 'check_load_from', 'check_ready',
           'check_source_free', 'check_work_dir', 'checkpoint_candidates', 'config_description',
           'config_problems', 'convert_backbone_checkpoint', 'dataset_meta', 'default_work_dir',
           'ensure_runtime_hooks', 'expand_cfg_shortcuts', 'explain_unknown_type',
           'export_segmentor', 'find_config', 'finish_config', 'flip_tta_pipeline',
           'inference_clip', 'init_adaptor', 'last_checkpoint_pointer', 'latest_checkpoint',
           'load_config', 'load_test_checkpoint', 'merge_options', 'parse_run_args',
           'predict_frames', 'readiness_report', 'require_checkpoint', 'resolve_load_from',
           'run_benchmark', 'run_with_clear_errors', 'segmentor_config',
           'segmentor_weight_mismatch', 'set_max_iters', 'source_dataset_keys', 'start_run',
           'substitute_work_dir', 'use_tta', 'work_dir_lock', 'worker_message']
