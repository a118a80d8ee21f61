"""Offline data preparation (run once, before training): verify, convert, index, compute flow
(what the tools under ``tools/data/`` run) and per-class statistics of a source set for rare-class
sampling (``class_stats``). ``uda_toolbox.datasets`` never imports this package."""
