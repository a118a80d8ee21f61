"""Imported once by the benchmark's fork server (:mod:`uda_toolbox.apis.job_process`): every
module a job's tools import, so that each job's process starts with them imported."""
import uda_toolbox.apis  # noqa: F401 -- the tools' library: torch, mmengine, mmseg's models
from uda_toolbox import register_all_modules

register_all_modules(init_default_scope=False)  # every registering module of mmseg and the toolbox
