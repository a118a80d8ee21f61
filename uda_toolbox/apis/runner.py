"""Build an mmengine Runner from a toolbox config, as the tools do."""
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from uda_toolbox.apis.config import finish_config


def build_runner(cfg: Config, work_dir: Optional[str] = None) -> Runner:
    """``Runner.from_cfg`` after what every toolbox run needs (``finish_config``): a work dir,
    ``{work_dir}`` replaced, the ``pseudo_labels`` key turned into its hook, the runtime hooks.

    Call ``uda_toolbox.register_all_modules()`` first (the tools do).
    """
    return Runner.from_cfg(finish_config(cfg, work_dir))
