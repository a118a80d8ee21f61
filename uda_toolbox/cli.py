"""Console entry points of an installed package: ``uda-train``, ``uda-test``, ``uda-benchmark`` and
``uda-check-ready`` run the ``main()`` of ``tools/train.py``, ``tools/test.py``,
``tools/benchmark.py`` and ``tools/check_ready.py`` with the same arguments.

The tools stay the scripts of a clone; a wheel ships them in ``uda_toolbox/.mim/tools`` (setup.py),
as mmseg ships its tools for ``mim``, and these functions load them from there (or from the
repository, for an editable install).
"""
import importlib.util
import os.path as osp
import sys
from types import ModuleType
from typing import List, Optional

PACKAGE_DIR = osp.dirname(osp.abspath(__file__))
TOOL_DIRS = (osp.join(PACKAGE_DIR, '.mim', 'tools'), osp.join(osp.dirname(PACKAGE_DIR), 'tools'))


def load_tool(name: str) -> ModuleType:
    """The module of ``tools/<name>.py`` (the shipped copy first, then the repository's)."""
    for directory in TOOL_DIRS:
        path = osp.join(directory, f'{name}.py')
        if osp.isfile(path):
            spec = importlib.util.spec_from_file_location(f'uda_toolbox_tool_{name}', path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise SystemExit(f'tools/{name}.py is missing from this installation (looked in '
                     f'{", ".join(TOOL_DIRS)}); reinstall uda_toolbox.')


def run_tool(name: str, argv: Optional[List[str]] = None):
    """Run ``tools/<name>.py``'s ``main(argv)`` (``argv`` None: the command line)."""
    sys.argv[0] = f'uda-{name.replace("_", "-")}'  # argparse's program name in --help
    return load_tool(name).main(argv)


def train() -> None:
    run_tool('train')


def test() -> None:
    run_tool('test')


def benchmark() -> None:
    run_tool('benchmark')


def check_ready() -> None:
    run_tool('check_ready')
