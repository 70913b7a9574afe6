"""Stopping the servers tests start: the process, then whatever it spawned."""

from __future__ import annotations

import contextlib
import subprocess


def stop_process_tree(process: subprocess.Popen[str], *, timeout: float = 10) -> None:
    """Terminate ``process`` (kill it after ``timeout``), then any children it left behind."""
    import psutil

    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        children = []
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    for child in children:  # workers, kernels or job runners that outlive their parent
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=5)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
