"""Worker processes that die with the process that started them (sweeps and ensembles share this).

A pool worker must not outlive the process that started it: when that process is killed outright
(SIGKILL) nothing runs in it to stop the pool, and a worker waiting for work would wait forever.
On Linux the kernel kills the worker (``PR_SET_PDEATHSIG``); elsewhere a watchdog thread does.
:mod:`sim.sweep.executors` and :func:`sim.run.ensemble.ensemble` start their pools with
:func:`pool_context` and :func:`start_worker`.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time


def pool_context(preload: str) -> multiprocessing.context.BaseContext:
    """forkserver where available (preloading the module ``preload``), else spawn; never plain fork.

    The fork server imports ``preload`` once (it loads the numba kernels); every pool worker is
    forked from it ready to run. The fork server is one per process: the first pool to start it
    chooses what it preloads.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([preload])
    return ctx


def start_worker(parent_pid: int) -> None:
    """A pool worker's initializer: tie its life to ``parent_pid``'s and ignore Ctrl-C (the parent handles it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)


PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal this process gets when its parent dies (Linux)."""


def die_with_parent(sweep_pid: int | None = None, *, watchdog: bool = True) -> None:
    """Have this process killed when its parent (the sweep or ensemble, or the pool's fork server) dies.

    On Linux the kernel does it (``PR_SET_PDEATHSIG``, SIGKILL); elsewhere, with ``watchdog``, a
    daemon thread checks every second that the parent, and the sweep process ``sweep_pid``, are
    still there. ``sweep_pid`` also closes the race where the sweep died before this ran.
    """
    parent = os.getppid()
    armed = False
    if sys.platform.startswith("linux"):
        try:
            armed = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if not armed and watchdog:
        threading.Thread(target=_watch_parent, args=(parent, sweep_pid), name="marginsim-parent-watch",
                         daemon=True).start()
    if os.getppid() != parent or (sweep_pid is not None and not _alive(sweep_pid)):
        os._exit(1)


def _watch_parent(parent: int, sweep_pid: int | None) -> None:
    while os.getppid() == parent and (sweep_pid is None or _alive(sweep_pid)):
        time.sleep(1.0)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
