"""Build an mmengine Runner from a toolbox config, as the tools do."""
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from uda_toolbox.apis.config import finish_config, resolve_load_from


def build_runner(cfg: Config, work_dir: Optional[str] = None) -> Runner:
    """``Runner.from_cfg`` for toolbox configs: first what every toolbox run needs
    (``finish_config``: a work dir, ``{work_dir}`` replaced, the ``pseudo_labels`` key turned
    into its hook, the runtime hooks), and ``load_from`` resolved to a checkpoint file where it
    names a work dir or the config of another run (``resolve_load_from``).

    Call ``uda_toolbox.register_all_modules()`` first (the tools do).
    """
    cfg = finish_config(cfg, work_dir)
    cfg.load_from = resolve_load_from(cfg.get('load_from'))
    runner = Runner.from_cfg(cfg)
    if cfg.get('schedule_scaled'):  # --cfg-options train_cfg.max_iters=N (apis.schedule)
        runner.logger.info(cfg.schedule_scaled)
    return runner
