"""Measurements of the toolbox itself, behind ``tools/analysis/``: the speed benchmark of the
adaptors (``analysis.speed``) and the quality of pseudo-label policies (Shin et al. (2021)
Table 7, ``analysis.pseudo_label_quality``). They take built configs and models from
``uda_toolbox.apis``."""
