"""Offline data preparation (run once, before training): per-class statistics of a source set for
rare-class sampling (``class_stats``). ``uda_toolbox.datasets`` never imports this package."""
