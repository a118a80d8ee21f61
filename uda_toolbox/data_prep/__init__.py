"""Offline data preparation: what runs once before training, never during it.

``synthetic/`` generates the embedded pair; ``viper.py``, ``viper_conditions.py`` and
``cityscapes_vps.py`` verify, convert and index the real datasets of Shin et al. (2021)'s benchmark;
``cityscapes_seq.py``, ``viper_seq.py``, ``synthia_seq.py`` and ``snippets.py`` prepare the
Cityscapes-Seq benchmarks (DA-VSN / TPS protocol); ``flow.py`` precomputes optical flow;
``class_stats.py`` counts per-class statistics of a source set for rare-class sampling;
``common.py`` and ``report.py`` hold what those share (checks, the resumable convert loop, process
pool, problem report, command line). ``tools/data/*.py`` are thin scripts over them.

Layering (.importlinter): data_prep may import ``uda_toolbox.datasets`` (to list clips the way
training does), ``flow``, ``utils`` and ``registry``; ``uda_toolbox.datasets`` never imports
data_prep, so a training run loads none of this. The package imports nothing on its own: import
the module you need.
"""
