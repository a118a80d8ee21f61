"""The processes of one benchmark job: ``main`` of tools/train.py, then of tools/test.py.

Each tool runs in a process of its own, as when a user runs the scripts (a crash or a leak stays in
it, it starts from a clean interpreter state, and its data-loader workers end with it), but the
process is forked from a server that imported torch, mmengine, mmseg and every toolbox module once
(:mod:`multiprocessing`'s ``forkserver``, whose ``preload`` is :mod:`uda_toolbox.apis.job_preload`;
started by :mod:`uda_toolbox.job_server`). Importing them takes about 6 s on one core, as long as
training an embedded source-only model for 50 iterations, and a script pays it on every start
(docs/benchmarks.md, "Cost of a job"). Why not both tools in one process: collecting the training
run's data loader in a live process waits 5 s for its worker to stop (torch's
``MP_STATUS_CHECK_INTERVAL``), where a process that ends does not wait. The fork server starts
without any thread pool in use, so forking it is safe, and each process sets its thread count.
"""
import json
import os
import os.path as osp
import runpy
import sys
from typing import List, Optional

from uda_toolbox.job_server import job_context

#: The tools are run with this ``__name__``, so their ``if __name__ == '__main__'`` does nothing.
TOOL_RUN_NAME = 'uda_toolbox_benchmark_job'


def thread_env(threads: int) -> dict:
    """The environment variables that limit a job to ``threads`` CPU threads (torch/OpenMP/MKL)."""
    return {var: str(threads) for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS')}


def _run_tool(tools_dir: str, script: str, argv: List[str], log_path: str,
              threads: Optional[int]) -> None:
    """The body of a tool's process: output to ``log_path``, the thread count, ``main(argv)``."""
    import torch

    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
        os.dup2(log, stream.fileno())
    os.close(log)
    if threads:
        os.environ.update(thread_env(threads))  # read by whatever the tool starts in turn
        torch.set_num_threads(threads)
    tool = runpy.run_path(osp.join(tools_dir, script), run_name=TOOL_RUN_NAME)
    tool['main'](argv)


def run_tools(tools_dir: str, train_argv: List[str], test_argv: List[str], log_path: str,
              threads: Optional[int] = None) -> None:
    """``main(train_argv)`` of ``tools_dir``/train.py, then ``main(test_argv)`` of its test.py,
    each in a process forked from the preloaded server, output appended to ``log_path``.

    Raises:
        RuntimeError: a tool's process failed (its exit code; the reason is in ``log_path``);
            the test does not run after a failed training.
    """
    context = job_context()
    for script, argv in (('train.py', train_argv), ('test.py', test_argv)):
        process = context.Process(target=_run_tool, name=f'{script} {osp.dirname(log_path)}',
                                  args=(tools_dir, script, argv, log_path, threads))
        process.start()
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f'tools/{script} exited with code {process.exitcode}: '
                               f'{json.dumps(argv[:1])} (see the end of its log)')
