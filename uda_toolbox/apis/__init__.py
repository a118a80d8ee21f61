"""The library behind the tools (the idea of ``mmseg.apis``): configs, runners, checkpoints,
inference and clear errors. ``tools/*.py`` are thin scripts over it; notebooks and other programs
use it too (docs/python_api.md)."""
from .checkpoints import (
    convert_backbone_checkpoint,
    last_checkpoint_pointer,
    latest_checkpoint,
)
from .config import (
    build_test_config,
    build_train_config,
    check_amp_device,
    check_load_from,
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
    substitute_work_dir,
    use_tta,
)
from .errors import check_work_dir, explain_unknown_type, run_with_clear_errors, worker_message
from .inference import (
    dataset_meta,
    export_segmentor,
    inference_clip,
    init_adaptor,
    segmentor_config,
)
from .readiness import Gap, check_ready, readiness_report
from .runner import build_runner
from .schedule import set_max_iters

__all__ = ['Gap', 'build_runner', 'build_test_config', 'build_train_config', 'check_amp_device',
           'check_load_from', 'check_ready', 'check_work_dir', 'config_description',
           'convert_backbone_checkpoint', 'dataset_meta', 'default_work_dir', 'ensure_runtime_hooks',
           'expand_cfg_shortcuts', 'explain_unknown_type', 'export_segmentor', 'find_config',
           'finish_config', 'flip_tta_pipeline', 'inference_clip', 'init_adaptor',
           'last_checkpoint_pointer', 'latest_checkpoint', 'load_config', 'merge_options',
           'readiness_report', 'resolve_load_from', 'run_with_clear_errors', 'segmentor_config',
           'set_max_iters', 'substitute_work_dir', 'use_tta', 'worker_message']
