"""Imported once by the benchmark's fork server (:mod:`uda_toolbox.apis.job_process`): every
module a job's tools import, so that each tool's process starts with them imported."""
import uda_toolbox.apis  # noqa: F401 -- the tools' library: torch, mmengine, mmseg's models
from uda_toolbox import register_all_modules

register_all_modules(init_default_scope=False)  # every registering module of mmseg and the toolbox

# What a run imports only when it gets there (about 3 s on one core per process): torch's compiler
# stack (the first optimizer's constructor), matplotlib (the visualizer), setuptools (mmengine's
# environment report) and PIL's image plugins (the pseudo-label PNGs).
import matplotlib.pyplot  # noqa: E402,F401
import mmseg.visualization  # noqa: E402,F401
import PIL.Image  # noqa: E402
import torch._dynamo  # noqa: E402,F401
import torch.utils.cpp_extension  # noqa: E402,F401

PIL.Image.init()  # registers every image plugin now rather than on the first PNG
