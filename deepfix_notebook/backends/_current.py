"""The process's current backend: what `analyze`, the magics and the trackers use."""

from __future__ import annotations

import threading

from deepfix_notebook.backends._local import LocalBackend
from deepfix_notebook.backends._protocol import AnalysisBackend

_lock = threading.Lock()
_backend: AnalysisBackend | None = None


def use(backend: AnalysisBackend) -> AnalysisBackend:
    """Make ``backend`` current; the previous one is closed."""
    global _backend
    with _lock:
        previous, _backend = _backend, backend
    if previous is not None and previous is not backend:
        previous.close()
    return backend


def current() -> AnalysisBackend:
    """The current backend, the embedded engine with the default MLflow store until set."""
    global _backend
    with _lock:
        if _backend is None:
            _backend = LocalBackend()
        return _backend


def tracking_uri() -> str | None:
    """The MLflow store the current backend reads runs from (None: the configured default)."""
    return current().tracking_uri
