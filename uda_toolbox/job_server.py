"""The fork server of the benchmark's job processes (:mod:`uda_toolbox.apis.job_process`).

A module that imports nothing heavy, so that ``tools/benchmark.py`` can start the server before it
imports torch itself: the server's imports (torch, mmengine, mmseg, the toolbox: about 9 s on one
core) then run on the other core while the benchmark does its own imports and fingerprints, instead
of after them while the first two jobs wait.
"""
import multiprocessing

#: The module the fork server imports once, before it forks any job's process.
PRELOAD = 'uda_toolbox.apis.job_preload'


def job_context():
    """The multiprocessing context of the jobs: ``forkserver`` preloading :data:`PRELOAD` where the
    platform has it, ``spawn`` elsewhere."""
    method = 'forkserver' if 'forkserver' in multiprocessing.get_all_start_methods() else 'spawn'
    context = multiprocessing.get_context(method)
    if method == 'forkserver':
        context.set_forkserver_preload([PRELOAD])
    return context


def start_job_server() -> None:
    """Start the fork server now (it imports :data:`PRELOAD` in the background); no-op where jobs
    are spawned."""
    if job_context().get_start_method() == 'forkserver':
        from multiprocessing import forkserver
        forkserver.ensure_running()
