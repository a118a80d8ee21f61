"""Offline data preparation (verify, convert, index, compute flow): what the tools under
``tools/data/`` run before any training. ``uda_toolbox.datasets`` never imports this package."""
